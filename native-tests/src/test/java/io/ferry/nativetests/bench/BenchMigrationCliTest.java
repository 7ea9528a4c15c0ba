package io.ferry.nativetests.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.nativetests.InProcessCli;
import io.ferry.nativetests.InProcessCli.Run;
import io.ferry.nativetests.lab.LabGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7: {@code ferry bench migration --out DIR} end to end on the lab (real QEMU, real guest):
 * one NDJSON line per run with every raw figure, a summary.json, the table with the CI column;
 * then the plain baseline with dirtying, a downtime limit and the raw Python baseline, and
 * --compare of the two; two devices through the bare {@code ferry bench} form; failover.
 */
class BenchMigrationCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private static Run ferry(String... args) {
    return InProcessCli.run(args);
  }

  @Test
  void threeRunsWriteRunsNdjsonSummaryJsonAndTheTableAndComparesWithThePlainBaseline() throws Exception {
    LabGuest.image(); // the guest build (cached) and the prerequisites
    Path replug = dir.resolve("replug");
    Run bench = ferry("bench", "migration", "--runs", "3", "--out", replug.toString(),
        "--work-dir", dir.resolve("work1").toString());
    assertThat(bench.exitCode()).as(bench.stdout() + bench.stderr()).isZero();
    assertThat(bench.stdout())
        .contains("[1/3] run   1  SUCCEEDED", "[3/3] run   3  SUCCEEDED")
        .contains("| figure (ms)", "95% CI of median", "| device absence", "| phase UNPLUG", "n/a (< 6 runs)");

    List<String> lines = Files.readAllLines(replug.resolve("runs.ndjson"));
    assertThat(lines).hasSize(3);
    for (int i = 0; i < 3; i++) {
      JsonNode run = JSON.readTree(lines.get(i));
      assertThat(run.get("run").asInt()).isEqualTo(i + 1);
      assertThat(run.get("result").asText()).isEqualTo("SUCCEEDED");
      JsonNode f = run.get("figures");
      for (String phase : List.of("PREFLIGHT", "UNPLUG", "MIGRATE", "REPLUG", "COMMIT")) {
        assertThat(f.at("/phaseDurationsUs/" + phase).isIntegralNumber()).as(phase).isTrue();
      }
      assertThat(f.at("/deviceAbsenceUs/hostnet1").asLong()).isPositive();
      assertThat(f.get("bytesTransferred").asLong()).isPositive();
      assertThat(f.get("passes").asLong()).isPositive();
      assertThat(f.has("setupTimeMs")).isTrue();
      assertThat(run.at("/ms/wall time").asDouble()).isPositive();
    }
    JsonNode summary = JSON.readTree(replug.resolve("summary.json").toFile());
    assertThat(summary.get("runs").asInt()).isEqualTo(3);
    assertThat(summary.at("/settings/mode").asText()).isEqualTo("unplug-replug");
    assertThat(summary.at("/figures/device absence/count").asInt()).isEqualTo(3);
    assertThat(summary.at("/figures/wall time/median").asDouble()).isPositive();
    assertThat(Files.readString(replug.resolve("report.html")))
        .contains("<svg", "run 3 MIGRATE", "run 3 device absence", "wall time (ms)");

    // The baseline: nothing unplugged, the guest dirtying memory, a tighter downtime limit.
    Path plain = dir.resolve("plain");
    Run baseline = ferry("bench", "migration", "--runs", "2", "--mode", "plain", "--dirty-rate", "20",
        "--downtime-limit", "50", "--baseline", "raw", "--out", plain.toString(), "--work-dir", dir.resolve("work2").toString());
    assertThat(baseline.exitCode()).as(baseline.stdout() + baseline.stderr()).isZero();
    JsonNode plainRun = JSON.readTree(Files.readAllLines(plain.resolve("runs.ndjson")).get(0));
    assertThat(plainRun.at("/figures/deviceAbsenceUs").size()).isZero();
    assertThat(plainRun.at("/figures/phaseDurationsUs/MIGRATE").asLong()).isPositive();
    // The raw Python baseline ran after each run, with the same (empty) device list.
    assertThat(plainRun.at("/ms/raw wall time").asDouble()).isPositive();
    assertThat(plainRun.at("/ms/raw migrate").asDouble()).isPositive();
    JsonNode plainSummary = JSON.readTree(plain.resolve("summary.json").toFile());
    assertThat(plainSummary.at("/settings/dirtyMbps").asInt()).isEqualTo(20);
    assertThat(plainSummary.at("/settings/downtimeLimitMs").asInt()).isEqualTo(50);

    Run compare = ferry("bench", "migration", "--compare",
        replug.resolve("summary.json").toString(), plain.resolve("summary.json").toString());
    assertThat(compare.exitCode()).isZero();
    assertThat(compare.stdout()).contains("| median (ms)", "B/A", "| wall time", "| device absence");
  }

  @Test
  void twoDevicesAreEachMeasuredAndFailoverModeMigratesThePrimary() throws Exception {
    LabGuest.image();
    Path two = dir.resolve("two");
    // The bare form: `ferry bench [options]` is the migration bench.
    Run devices = ferry("bench", "--runs", "2", "--devices", "2", "--ferry-cpu", "--out", two.toString(),
        "--work-dir", dir.resolve("work3").toString());
    assertThat(devices.exitCode()).as(devices.stdout() + devices.stderr()).isZero();
    for (String line : Files.readAllLines(two.resolve("runs.ndjson"))) {
      JsonNode run = JSON.readTree(line);
      JsonNode absence = run.at("/figures/deviceAbsenceUs");
      assertThat(absence.get("hostnet1").asLong()).isPositive();
      assertThat(absence.get("hostnet2").asLong()).isPositive();
      // The summary's figure is the longer of the two.
      assertThat(run.at("/ms/device absence").asDouble() * 1000)
          .isCloseTo(Math.max(absence.get("hostnet1").asLong(), absence.get("hostnet2").asLong()),
              org.assertj.core.data.Offset.offset(1.0));
      // --ferry-cpu: the CPU ferry's thread used within its overhead spans, never more than their wall time.
      long cpuUs = run.at("/figures/ferryCpuUs").asLong();
      assertThat(cpuUs).as(line).isPositive().isLessThanOrEqualTo(run.at("/figures/ferryOverheadUs").asLong());
      assertThat(run.at("/ms/ferry CPU").asDouble()).isEqualTo(cpuUs / 1000.0);
    }
    assertThat(devices.stdout()).contains("| ferry CPU ");
    assertThat(JSON.readTree(two.resolve("summary.json").toFile()).at("/settings/ferryCpu").asBoolean()).isTrue();

    Path failover = dir.resolve("failover");
    Run pair = ferry("bench", "migration", "--runs", "2", "--mode", "failover", "--out", failover.toString(),
        "--work-dir", dir.resolve("work4").toString());
    assertThat(pair.exitCode()).as(pair.stdout() + pair.stderr()).isZero();
    List<String> lines = Files.readAllLines(failover.resolve("runs.ndjson"));
    assertThat(lines).hasSize(2);
    for (String line : lines) {
      JsonNode run = JSON.readTree(line);
      assertThat(run.get("result").asText()).isEqualTo("SUCCEEDED");
      assertThat(run.at("/figures/phaseDurationsUs/UNPLUG").asLong()).isPositive();
      assertThat(run.at("/figures").has("ferryCpuUs")).as("not measured unless asked for").isFalse();
    }
    assertThat(JSON.readTree(failover.resolve("summary.json").toFile()).at("/settings/mode").asText())
        .isEqualTo("failover");
  }

  @Test
  void badOptionsAreRefusedBeforeAnyQemuStarts() {
    Run devices = ferry("bench", "migration", "--mode", "plain", "--devices", "2", "--out", dir.resolve("x").toString());
    assertThat(devices.exitCode()).isEqualTo(2);
    assertThat(devices.stderr()).contains("--devices applies to --mode unplug-replug only");
    Run mode = ferry("bench", "migration", "--mode", "sideways");
    assertThat(mode.exitCode()).isEqualTo(2);
    assertThat(mode.stderr()).contains("'sideways' is not a mode");
    Run compare = ferry("bench", "migration", "--compare", dir.resolve("a.json").toString(), dir.resolve("b.json").toString());
    assertThat(compare.exitCode()).isEqualTo(2);
    assertThat(compare.stderr()).contains("a.json");
    assertThat(dir.resolve("x")).doesNotExist();
  }
}
