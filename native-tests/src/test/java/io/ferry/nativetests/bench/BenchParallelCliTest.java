package io.ferry.nativetests.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.cli.FerryMain;
import io.ferry.nativetests.InProcessCli;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 7, scale: {@code ferry bench migration --parallel 2} migrates two real lab guests at once
 * through one agent (this JVM), each run; every migration is a row with its slot, and the agent's
 * memory (from /proc/self/status) is in each row, the summary, the stdout lines and the report.
 */
@ExtendWith(NoLeftoverQemu.class)
class BenchParallelCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  void twoGuestsMigrateAtOnceEachRunAndEveryMigrationIsARowWithTheAgentsRss() throws Exception {
    LabGuest.image(); // the guest build (cached) and the prerequisites
    Path out = dir.resolve("out");
    InProcessCli.Run run = InProcessCli.run("bench", "migration", "--parallel", "2", "--runs", "2",
        "--out", out.toString(), "--work-dir", dir.resolve("work").toString());
    assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isZero();
    assertThat(run.stdout())
        .contains("2 runs of 2 parallel migrations")
        .contains("run   1 slot  1  SUCCEEDED", "run   1 slot  2  SUCCEEDED", "run   2 slot  2  SUCCEEDED")
        .contains("| ferry overhead", "2 migration(s) at once, 4 in all: ferry overhead per migration median")
        .containsPattern("agent memory: max VmRSS \\d+\\.\\d MiB while migrating");

    List<String> lines = Files.readAllLines(out.resolve("runs.ndjson"));
    assertThat(lines).hasSize(2 * 2);
    Set<String> runAndSlot = new HashSet<>();
    for (String line : lines) {
      JsonNode row = JSON.readTree(line);
      runAndSlot.add(row.get("run").asInt() + "/" + row.get("slot").asInt());
      assertThat(row.get("result").asText()).isEqualTo("SUCCEEDED");
      // Each migration is measured on its own: its phases, its NIC's absence, ferry's overhead.
      assertThat(row.at("/figures/phaseDurationsUs/MIGRATE").asLong()).isPositive();
      assertThat(row.at("/figures/deviceAbsenceUs/hostnet1").asLong()).isPositive();
      assertThat(row.at("/ms/ferry overhead").isNumber()).isTrue();
      assertThat(row.at("/ms/heartbeat gap").asDouble()).isPositive();
      assertThat(row.at("/agentMemory/maxRssMiB").asDouble()).isPositive();
      assertThat(row.at("/agentMemory/hwmMiB").asDouble()).isPositive();
    }
    assertThat(runAndSlot).containsExactlyInAnyOrder("1/1", "1/2", "2/1", "2/2");

    JsonNode summary = JSON.readTree(out.resolve("summary.json").toFile());
    assertThat(summary.get("runs").asInt()).isEqualTo(2);
    assertThat(summary.get("migrations").asInt()).isEqualTo(4);
    assertThat(summary.at("/settings/parallel").asInt()).isEqualTo(2);
    assertThat(summary.at("/figures/ferry overhead/count").asInt()).isEqualTo(4);
    assertThat(summary.at("/agentMemory/maxRssMiB").asDouble()).isPositive();
    assertThat(summary.at("/agentMemory/perRun").size()).isEqualTo(2);
    assertThat(Files.readString(out.resolve("report.html")))
        .contains("run 2 slot 2 MIGRATE", "Agent memory", "max VmRSS (MiB)");
  }

  @Test
  void aParallelBenchWithTheRawBaselineOrTooManyGuestsIsRefusedBeforeAnyQemuStarts() {
    StringWriter stderr = new StringWriter();
    CommandLine cli = FerryMain.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(stderr, true));
    assertThat(cli.execute("bench", "migration", "--parallel", "2", "--baseline", "raw",
        "--out", dir.resolve("x").toString())).isEqualTo(2);
    assertThat(cli.execute("bench", "migration", "--parallel", "17")).isEqualTo(2);
    assertThat(stderr.toString())
        .contains("--baseline runs with --parallel 1 only", "--parallel must be between 1 and 16");
    assertThat(dir.resolve("x")).doesNotExist();
  }
}
