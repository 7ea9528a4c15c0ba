package io.ferry.nativetests.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.bench.LibvirtBaseline;
import io.ferry.nativetests.InProcessCli;
import io.ferry.nativetests.InProcessCli.Run;
import io.ferry.nativetests.Prerequisites;
import io.ferry.nativetests.lab.LabGuest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's libvirt baseline against a real libvirtd: {@code ferry bench migration --baseline
 * libvirt --runs 2} runs ferry's migrations and, on the same guest as a transient libvirt domain,
 * {@code virsh detach-device} and {@code attach-device}; its figures are in runs.ndjson, the table,
 * summary.json and report.html, the migrate step is recorded as not run with its reason, and no
 * domain is left behind. Needs libvirtd running ({@code virtlogd -d; libvirtd -d}, as .ci/run does).
 */
class BenchLibvirtCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private static Run ferry(String... args) {
    return InProcessCli.run(args);
  }

  private static String domains() throws Exception {
    Path virsh = LibvirtBaseline.virsh(LibvirtBaseline.searchPath(System.getenv("PATH")));
    Process p = new ProcessBuilder(virsh.toString(), "-c", LibvirtBaseline.URI, "list", "--all", "--name")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void libvirtDetachAndAttachAreMeasuredNextToFerryAndNoDomainIsLeft() throws Exception {
    LabGuest.image();
    LibvirtBaseline.unavailable(LibvirtBaseline.searchPath(System.getenv("PATH")))
        .ifPresent(why -> Prerequisites.require(false, "libvirt for --baseline libvirt: " + why
            + " (apt-get install libvirt-daemon-system libvirt-clients; virtlogd -d; libvirtd -d)"));
    Path out = dir.resolve("libvirt");
    Run bench = ferry("bench", "migration", "--baseline", "libvirt", "--runs", "2", "--out", out.toString(),
        "--work-dir", dir.resolve("work").toString());
    assertThat(bench.exitCode()).as(bench.stdout() + bench.stderr()).isZero();
    assertThat(bench.stdout())
        .contains("libvirt baseline", "[2/2] run   2  SUCCEEDED")
        .contains("| libvirt detach", "| libvirt attach", "| libvirt device absence", "| phase UNPLUG", "| phase REPLUG")
        .contains("not run: virsh migrate --live: one libvirtd refuses to migrate a guest to itself");

    List<String> lines = Files.readAllLines(out.resolve("runs.ndjson"));
    assertThat(lines).hasSize(2);
    for (String line : lines) {
      JsonNode run = JSON.readTree(line);
      assertThat(run.get("result").asText()).isEqualTo("SUCCEEDED");
      JsonNode ms = run.get("ms");
      double detach = ms.get(LibvirtBaseline.DETACH).asDouble();
      double attach = ms.get(LibvirtBaseline.ATTACH).asDouble();
      double absence = ms.get(LibvirtBaseline.ABSENCE).asDouble();
      double noop = ms.get(LibvirtBaseline.NOOP).asDouble();
      assertThat(List.of(detach, attach, absence, noop)).as(line).allSatisfy(v -> assertThat(v).isPositive());
      // Absence runs from the device-removed event (inside the detach) to the attach's return.
      assertThat(absence).as(line).isGreaterThanOrEqualTo(attach).isLessThanOrEqualTo(detach + attach + 50);
      // A detach is a virsh command plus the guest's unplug: more than a virsh command that does nothing.
      assertThat(detach).as(line).isGreaterThan(noop * 0.5);
      // ferry's own phases are there to set them against.
      assertThat(ms.get("phase UNPLUG").asDouble()).isPositive();
      assertThat(ms.get("phase REPLUG").asDouble()).isPositive();
    }
    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(summary.at("/settings/baseline").asText()).isEqualTo("libvirt");
    for (String figure : List.of(LibvirtBaseline.DETACH, LibvirtBaseline.ATTACH, LibvirtBaseline.ABSENCE, LibvirtBaseline.NOOP)) {
      assertThat(summary.at("/figures/" + figure + "/count").asInt()).as(figure).isEqualTo(2);
    }
    JsonNode libvirt = summary.get("libvirtBaseline");
    assertThat(libvirt.get("uri").asText()).isEqualTo("qemu:///system");
    assertThat(libvirt.at("/notRun/virsh migrate --live/reason").asText()).contains("same host");
    assertThat(libvirt.at("/notRun/virsh migrate --live/libvirtSaid").asText()).contains("same host");
    String domain = libvirt.get("domain").asText();
    assertThat(domain).startsWith("ferry-bench-");
    assertThat(Files.readString(out.resolve("report.html")))
        .contains("libvirt detach (ms)", "libvirt attach (ms)", "not run: virsh migrate --live");
    // The transient domain was destroyed: libvirt no longer knows it.
    assertThat(domains()).doesNotContain(domain);
  }
}
