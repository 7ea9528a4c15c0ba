package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.DaemonServer;
import io.ferry.agent.daemon.PeerPolicy;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.vfio.VfioDevices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon in-process on a temp socket drives a real lab migration: POST the plan, follow its
 * event stream with curl to the result, then read the migration and the metrics back.
 */
@ExtendWith(NoLeftoverQemu.class)
class DaemonMigrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void aPlanPostedToTheDaemonMigratesAndItsEventStreamEndsWithSucceeded() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (MigrationLab lab = MigrationLab.start(workDir, "daemon", b -> b, List.of(MigrationLab.nic(1)));
        EventBus bus = new EventBus();
        DaemonServer server = DaemonServer.start(workDir.resolve("ferry.sock"),
            new DaemonCore(bus, VfioDevices.forHost(workDir.resolve("devices.journal")), blocking), PeerPolicy.withDefaults(List.of()))) {
      String plan = plan(lab, "vm1-via-daemon");
      Path socket = server.socket();

      String accepted = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
          "--data-binary", plan, "http://ferry/v1/migrations");
      assertThat(JSON.readTree(accepted).get("id").asText()).isEqualTo("vm1-via-daemon");
      // A second plan for the same source while the first runs is refused.
      String busy = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
          "--data-binary", plan.replace("vm1-via-daemon", "vm1-again"), "http://ferry/v1/migrations");
      assertThat(JSON.readTree(busy).get("error").get("code").asText()).isEqualTo("source_busy");

      // Subscribed after the start: the history fills in whatever happened before.
      String stream = DaemonCurl.body(socket, "-N", "http://ferry/v1/migrations/vm1-via-daemon/events");
      List<MigrationEvent> events = stream.lines().map(EventJson::fromLine).toList();
      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i).seq()).isEqualTo(i);
      }
      MigrationEvent last = events.get(events.size() - 1);
      assertThat(last.kind()).isEqualTo(EventKind.RESULT);
      assertThat(ResultDetail.of(last).result()).as(stream).isEqualTo(Result.SUCCEEDED);
      List<Phase> phases = new ArrayList<>();
      for (MigrationEvent e : events) {
        if (e.kind() == EventKind.STARTED && e.device().isEmpty() && !phases.contains(e.phase())) {
          phases.add(e.phase());
        }
      }
      assertThat(phases).containsSubsequence(Phase.PREFLIGHT, Phase.UNPLUG, Phase.MIGRATE, Phase.REPLUG);
      assertThat(phases).doesNotContain(Phase.ROLLBACK);
      assertThat(lab.destination().queryStatus().join().running()).isTrue();
      assertThat(lab.pciIds(lab.destination())).contains("hostnet1");

      JsonNode view = JSON.readTree(DaemonCurl.body(socket, "http://ferry/v1/migrations/vm1-via-daemon"));
      assertThat(view.get("result").asText()).isEqualTo("SUCCEEDED");
      assertThat(view.get("figures").has("downtimeMs")).isTrue();
      String metrics = DaemonCurl.body(socket, "http://ferry/metrics");
      assertThat(metrics).contains("ferry_migrations_total{result=\"SUCCEEDED\"} 1")
          .contains("ferry_downtime_seconds_count 1");
      // Both monitors' commands were timed: every migration asks query-migrate and query-status.
      assertThat(metrics).containsPattern("ferry_qmp_round_trip_seconds_count\\{command=\"query-migrate\"\\} [1-9]")
          .containsPattern("ferry_qmp_round_trip_seconds_count\\{command=\"query-status\"\\} [1-9]");
      Files.writeString(Path.of("target", "ferry-daemon-example.ndjson"), stream);
      Files.writeString(Path.of("target", "ferry-daemon-example-migration.json"), view.toPrettyString());
      Files.writeString(Path.of("target", "ferry-daemon-example-metrics.txt"), metrics);
    } finally {
      blocking.shutdown();
    }
  }

  @Test
  void stoppingRefusesNewMigrationsAndCancelsARunningOneWhichRollsBack() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (MigrationLab lab = MigrationLab.start(workDir, "drain", b -> b, List.of(MigrationLab.nic(1)));
        EventBus bus = new EventBus()) {
      DaemonCore core = new DaemonCore(bus, VfioDevices.forHost(workDir.resolve("devices.journal")), blocking);
      try (DaemonServer server = DaemonServer.start(workDir.resolve("ferry.sock"), core,
          PeerPolicy.withDefaults(List.of()))) {
        Path socket = server.socket();
        String accepted = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan(lab, "vm1-drained"), "http://ferry/v1/migrations");
        assertThat(JSON.readTree(accepted).get("id").asText()).isEqualTo("vm1-drained");

        // What SIGTERM does, with no grace: the running migration is cancelled at once.
        var drained = core.drain(java.time.Duration.ZERO);
        String refused = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan(lab, "vm1-late"), "http://ferry/v1/migrations");
        assertThat(JSON.readTree(refused).get("error").get("code").asText()).isEqualTo("shutting_down");
        drained.get(MigrationLab.MIGRATION.toSeconds(), TimeUnit.SECONDS);

        JsonNode view = JSON.readTree(DaemonCurl.body(socket, "http://ferry/v1/migrations/vm1-drained"));
        assertThat(view.get("result").asText()).as(view.toString()).isEqualTo("ROLLED_BACK");
        assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
        assertThat(lab.pciIds(lab.source())).contains("hostnet1");
      }
    } finally {
      blocking.shutdown();
    }
  }

  private static String plan(MigrationLab lab, String id) {
    return "{\"id\": \"" + id + "\",\n"
        + " \"source\": {\"qmp\": \"" + lab.pair.source().agentQmpSocket() + "\"},\n"
        + " \"destination\": {\"qmp\": \"" + lab.pair.destination().agentQmpSocket() + "\"},\n"
        + " \"uri\": \"" + lab.pair.migrationUri() + "\",\n"
        + " \"devices\": [{\"id\": \"hostnet1\"}]}\n";
  }
}
