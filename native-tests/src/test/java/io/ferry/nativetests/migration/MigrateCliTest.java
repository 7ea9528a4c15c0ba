package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.cli.FerryMain;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.event.Result;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry migrate PLAN --output ndjson} on a real lab pair: exit code 0, and stdout is the
 * migration's NDJSON event stream, seq 0..n without gaps, ending with the SUCCEEDED result. The
 * stream is also written to {@code target/ferry-migrate-example.ndjson} (the README's example).
 */
@ExtendWith(NoLeftoverQemu.class)
class MigrateCliTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void ferryMigratePrintsTheEventStreamAndExitsWithTheResult() throws Exception {
    try (MigrationLab lab = MigrationLab.start(workDir, "cli", b -> b, List.of(MigrationLab.nic(1)))) {
      Path plan = workDir.resolve("plan.json");
      Files.writeString(
          plan,
          "{\"id\": \"vm1-to-b\",\n"
              + " \"source\": {\"qmp\": \"" + lab.pair.source().agentQmpSocket() + "\"},\n"
              + " \"destination\": {\"qmp\": \"" + lab.pair.destination().agentQmpSocket() + "\"},\n"
              + " \"uri\": \"" + lab.pair.migrationUri() + "\",\n"
              + " \"devices\": [{\"id\": \"hostnet1\"}]}\n");

      assertThat(run("migrate", "--check", plan.toString()).exitCode).isZero();

      Run migrate = run("migrate", plan.toString(), "--output", "ndjson");
      assertThat(migrate.exitCode).as(migrate.stdout).isZero();
      List<MigrationEvent> events = migrate.stdout.lines().map(EventJson::fromLine).toList();
      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i).seq()).isEqualTo(i);
        assertThat(events.get(i).migration()).isEqualTo("vm1-to-b");
      }
      MigrationEvent last = events.get(events.size() - 1);
      assertThat(last.phase()).isEqualTo(Phase.DONE);
      assertThat(ResultDetail.of(last).result()).isEqualTo(Result.SUCCEEDED);
      Files.writeString(Path.of("target", "ferry-migrate-example.ndjson"), migrate.stdout);
    }
  }

  @Test
  void anInvalidPlanExitsWithTwoAndNamesEveryProblemByPath() throws Exception {
    Path plan = workDir.resolve("bad.json");
    Files.writeString(
        plan,
        "{\"source\": {\"qmp\": \"/run/a.qmp\"}, \"destination\": {\"qmp\": \"/run/a.qmp\"},"
            + " \"uri\": \"tcp:host:99999\", \"devices\": [{\"id\": \"n\", \"destination\":"
            + " {\"driver\": \"vfio-pci\", \"host\": \"0000:3b:01\"}}], \"colour\": \"blue\"}");
    Run run = run("migrate", plan.toString());
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.stderr)
        .contains("$.uri")
        .contains("$.devices[0].destination.host")
        .contains("$.destination.qmp")
        .contains("$.colour");
  }

  private record Run(int exitCode, String stdout, String stderr) {}

  private static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
      int code = FerryMain.commandLine().execute(args);
      return new Run(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
