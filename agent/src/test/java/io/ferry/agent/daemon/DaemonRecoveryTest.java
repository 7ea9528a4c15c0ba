package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.FileMigrationJournal;
import io.ferry.agent.journal.InFlightMigration;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.plan.Endpoint;
import io.ferry.agent.plan.MigrationPlan;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon with a journal, over its real socket, where no QEMU is needed: what a migration
 * writes, and how a restarted daemon reports a migration whose QEMUs are gone. (The recovery of
 * live QEMUs is CrashRecoveryTest, in native-tests.)
 */
class DaemonRecoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aMigrationIsJournaledFromItsPlanToItsResult() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FileMigrationJournal journal = FileMigrationJournal.open(file);
        EventBus bus = new EventBus()) {
      DaemonCore core = new DaemonCore(bus, new FakeHost(dir.resolve("host")).devices, blocking, journal);
      try (DaemonServer server = DaemonServer.start(dir.resolve("ferry.sock"), core, PeerPolicy.withDefaults(List.of()))) {
        Curl curl = new Curl(server.socket());
        String plan = """
            {"id": "m-nowhere", "source": {"qmp": "%s"}, "destination": {"qmp": "%s"},
             "uri": "unix:%s", "devices": [{"id": "hostnet1"}]}
            """.formatted(dir.resolve("src.qmp"), dir.resolve("dst.qmp"), dir.resolve("mig.sock"));
        assertThat(curl.post("/v1/migrations", plan).status()).isEqualTo(202);
        // The stream ends with the result, which is written only after the journal's result record.
        curl.get("/v1/migrations/m-nowhere/events");
      }
    } finally {
      blocking.shutdown();
    }
    List<MigrationEvent> records = FileMigrationJournal.records(file);
    assertThat(records).extracting(r -> r.detail().get("step"))
        .containsExactly(JournalStep.PHASE_ENTERED.wireName(), JournalStep.RESULT.wireName());
    assertThat(records.get(0).phase()).isEqualTo(Phase.PREFLIGHT);
    assertThat(records.get(0).detail()).containsKey("plan");
    assertThat(records.get(1).kind()).isEqualTo(EventKind.RESULT);
    assertThat(records.get(1).detail()).containsEntry("result", "ROLLED_BACK");
    assertThat(JournalReplay.replay(records).inFlight()).isEmpty();
  }

  @Test
  void aJournaledMigrationWhoseQemusAreGoneIsRecoveredAsFailedAndListed() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    MigrationPlan plan = MigrationPlan.builder().id("m-orphan")
        .source(dir.resolve("gone-src.qmp")).destination(dir.resolve("gone-dst.qmp"))
        .uri("unix:" + dir.resolve("mig.sock")).device("hostnet1").build();
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      journal.append(record("m-orphan", 0, Phase.PREFLIGHT, JournalStep.PHASE_ENTERED,
          Map.of("plan", JournalReplay.planDetail(plan)))).get(10, TimeUnit.SECONDS);
      journal.append(record("m-orphan", 1, Phase.MIGRATE, JournalStep.PHASE_ENTERED, Map.of())).get(10, TimeUnit.SECONDS);
      journal.append(record("m-orphan", 2, Phase.MIGRATE, JournalStep.MIGRATE_STARTED, Map.of())).get(10, TimeUnit.SECONDS);
    }

    List<InFlightMigration> inFlight = JournalReplay.replay(FileMigrationJournal.records(file)).inFlight();
    assertThat(inFlight).extracting(InFlightMigration::id).containsExactly("m-orphan");
    try (FileMigrationJournal journal = FileMigrationJournal.open(file);
        EventBus bus = new EventBus()) {
      DaemonCore core = new DaemonCore(bus, new FakeHost(dir.resolve("host")).devices, blocking, journal);
      try (DaemonServer server = DaemonServer.start(dir.resolve("ferry.sock"), core, PeerPolicy.withDefaults(List.of()))) {
        core.recover(inFlight).get(60, TimeUnit.SECONDS);
        Curl curl = new Curl(server.socket());

        JsonNode listed = JSON.readTree(curl.get("/v1/migrations").body()).get(0);
        assertThat(listed.get("id").asText()).isEqualTo("m-orphan");
        assertThat(listed.get("recovered").asBoolean()).isTrue();
        assertThat(listed.get("result").asText()).isEqualTo("FAILED");
        assertThat(listed.get("reason").asText()).contains("source QEMU does not answer");

        List<MigrationEvent> events = curl.get("/v1/migrations/m-orphan/events").body()
            .lines().map(EventJson::fromLine).toList();
        assertThat(events.get(0).detail()).containsEntry("step", "recovery-started").containsEntry("interruptedIn", "MIGRATE");
        assertThat(events.get(events.size() - 1).kind()).isEqualTo(EventKind.RESULT);
        assertThat(core.handle(new ApiAction.StartMigration(plan)).handle((r, e) -> e).get(10, TimeUnit.SECONDS))
            .as("its id stays taken").isInstanceOf(ApiException.class);
      }
    } finally {
      blocking.shutdown();
    }
    List<MigrationEvent> records = FileMigrationJournal.records(file);
    assertThat(records.get(records.size() - 1).detail()).containsEntry("result", "FAILED").containsEntry("recovered", true);
    assertThat(records).extracting(MigrationEvent::seq).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(JournalReplay.replay(records).inFlight()).as("settled: nothing left to recover").isEmpty();
  }

  @Test
  void aJournaledMigrationToAPeerAgentThatCannotBeAskedEndsFailedSayingWhy() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    MigrationPlan plan = MigrationPlan.builder().id("m-peer")
        .source(dir.resolve("gone-src.qmp"))
        .destination(new Endpoint(dir.resolve("dst.qmp"), Optional.of(URI.create("https://127.0.0.1:7443"))))
        .uri("tcp:127.0.0.1:4444").device("hostnet1").build();
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      journal.append(record("m-peer", 0, Phase.PREFLIGHT, JournalStep.PHASE_ENTERED,
          Map.of("plan", JournalReplay.planDetail(plan)))).get(10, TimeUnit.SECONDS);
      journal.append(record("m-peer", 1, Phase.MIGRATE, JournalStep.PHASE_ENTERED, Map.of())).get(10, TimeUnit.SECONDS);
    }

    List<InFlightMigration> inFlight = JournalReplay.replay(FileMigrationJournal.records(file)).inFlight();
    assertThat(inFlight.get(0).plan().destination().agent()).as("the journaled plan keeps its peer").isPresent();
    try (FileMigrationJournal journal = FileMigrationJournal.open(file);
        EventBus bus = new EventBus()) {
      // No TLS client: the peer cannot be asked, and the source is gone, so nothing can be settled.
      DaemonCore core = new DaemonCore(bus, new FakeHost(dir.resolve("host")).devices, blocking, journal);
      try (DaemonServer server = DaemonServer.start(dir.resolve("ferry.sock"), core, PeerPolicy.withDefaults(List.of()))) {
        core.recover(inFlight).get(60, TimeUnit.SECONDS);
        Curl curl = new Curl(server.socket());

        JsonNode listed = JSON.readTree(curl.get("/v1/migrations").body()).get(0);
        assertThat(listed.get("recovered").asBoolean()).isTrue();
        assertThat(listed.get("destinationAgent").asText()).isEqualTo("https://127.0.0.1:7443");
        assertThat(listed.get("result").asText()).isEqualTo("FAILED");
        assertThat(listed.get("reason").asText())
            .contains("peer agent https://127.0.0.1:7443", "does not answer", "only it knows", "the source (unreachable)");
      }
    } finally {
      blocking.shutdown();
    }
    List<MigrationEvent> records = FileMigrationJournal.records(file);
    assertThat(records).extracting(r -> r.detail().get("step")).containsExactly(
        JournalStep.PHASE_ENTERED.wireName(), JournalStep.PHASE_ENTERED.wireName(),
        JournalStep.RECOVERY_STARTED.wireName(), JournalStep.RESULT.wireName());
    assertThat(records.get(2).detail())
        .containsEntry("destination", Map.of("agent", "https://127.0.0.1:7443", "incoming", "unreachable"));
    assertThat(JournalReplay.replay(records).inFlight()).as("settled: nothing left to recover").isEmpty();
  }

  private static MigrationEvent record(String id, long seq, Phase phase, JournalStep step, Map<String, ?> detail) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("step", step.wireName());
    d.putAll(detail);
    return new MigrationEvent(id, seq, phase, EventKind.STARTED, Optional.empty(), Instant.now(), System.nanoTime(),
        Optional.empty(), d);
  }
}
