package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ferry devices} on this machine's real /sys. Listing is read-only; the prepare/release
 * cases use addresses that cannot exist or do not parse, so they must be refused before any
 * change (the journal is not even created).
 */
class DevicesCommandTest {
  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FerryMain.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void jsonListsEveryPciDeviceOfThisMachine() throws Exception {
    Run run = run("devices", "--json");

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode devices = new ObjectMapper().readTree(run.out());
    assertThat(devices.isArray()).isTrue();
    assertThat(devices.size()).isEqualTo(Files.list(Path.of("/sys/bus/pci/devices")).count()).isPositive();
    for (JsonNode d : devices) {
      assertThat(d.get("address").asText()).matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
      assertThat(d.get("vendor").asText()).matches("0x[0-9a-f]{4}");
      assertThat(d.has("iommuGroup")).isTrue();
      assertThat(d.get("netInterfaces").isArray()).isTrue();
    }
  }

  @Test
  void tableHasAHeaderAndOneLinePerDevice() throws Exception {
    Run run = run("devices");

    assertThat(run.exit()).isZero();
    String[] lines = run.out().split("\n");
    assertThat(lines[0]).startsWith("ADDRESS").contains("DRIVER", "GROUP", "NET");
    assertThat(lines).hasSize(1 + (int) Files.list(Path.of("/sys/bus/pci/devices")).count());
  }

  @Test
  void malformedAddressIsAUsageErrorThatTouchesNothing() {
    Path journal = tmp.resolve("journal");
    Run run = run("devices", "prepare", "0000:00:20.0", "--journal", journal.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("DDDD:BB:DD.F");
    assertThat(journal).doesNotExist();
  }

  @Test
  void badVfSettingsAreUsageErrors() {
    Path journal = tmp.resolve("journal");
    assertThat(run("devices", "prepare", "0000:ff:1f.7", "--mac", "zz", "--journal", journal.toString()).exit()).isEqualTo(2);
    assertThat(run("devices", "prepare", "0000:ff:1f.7", "--vlan", "4096", "--journal", journal.toString()).exit()).isEqualTo(2);
    assertThat(run("devices", "prepare", "0000:ff:1f.7", "--trust", "maybe", "--journal", journal.toString()).exit()).isEqualTo(2);
    assertThat(journal).doesNotExist();
  }

  @Test
  void absentDeviceIsRefusedAndNothingIsChanged() {
    Path journal = tmp.resolve("journal");
    Run prepare = run("devices", "prepare", "0000:ff:1f.7", "--journal", journal.toString());
    Run release = run("devices", "release", "0000:ff:1f.7", "--journal", journal.toString());

    assertThat(prepare.exit()).isEqualTo(1);
    assertThat(prepare.err()).contains("no PCI device").contains("nothing was changed");
    assertThat(release.exit()).isEqualTo(1);
    assertThat(release.err()).contains("releases only what it prepared");
    assertThat(journal).doesNotExist();
  }

  @Test
  void recoverWithAnEmptyJournalHasNothingToDo() {
    Run run = run("devices", "recover", "--journal", tmp.resolve("journal").toString());

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("nothing to recover");
  }
}
