package io.ferry.agent.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalReplayTest {
  @TempDir Path dir;

  @Test
  void aMigrationWithoutAResultIsInFlightWithWhatItMayHaveDone() throws Exception {
    Path file = dir.resolve("migrations.journal");
    List<MigrationEvent> records = List.of(
        Records.entered("m1", 0, Phase.PREFLIGHT),
        Records.record("m1", 1, Phase.PREFLIGHT, JournalStep.SOURCE_DEVICES, null,
            Map.of("devices", Map.of("hostnet1", Map.of("driver", "e1000e", "id", "hostnet1", "bus", "rp1")))),
        Records.entered("m1", 2, Phase.UNPLUG),
        Records.record("m1", 3, Phase.UNPLUG, JournalStep.UNPLUG_REQUESTED, "hostnet1", Map.of()),
        Records.entered("m1", 4, Phase.MIGRATE),
        Records.record("m1", 5, Phase.MIGRATE, JournalStep.MIGRATE_STARTED, null, Map.of("uri", "unix:/x")),
        Records.entered("m1", 6, Phase.REPLUG),
        Records.record("m1", 7, Phase.REPLUG, JournalStep.DEVICE_ADD, "hostnet1", Map.of("side", "destination")));
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      for (MigrationEvent r : records) {
        journal.append(r).get(10, TimeUnit.SECONDS);
      }
    }

    JournalReplay.Replay replay = JournalReplay.replay(FileMigrationJournal.records(file));

    assertThat(replay.problems()).isEmpty();
    assertThat(replay.inFlight()).hasSize(1);
    InFlightMigration m = replay.inFlight().get(0);
    assertThat(m.plan()).isEqualTo(Records.plan("m1"));
    assertThat(m.lastPhase()).isEqualTo(Phase.REPLUG);
    assertThat(m.sourceDevices()).containsOnlyKeys("hostnet1");
    assertThat(m.sourceDevices().get("hostnet1")).containsEntry("bus", "rp1");
    assertThat(m.unplugRequested()).containsExactly("hostnet1");
    assertThat(m.migrateStarted()).isTrue();
    assertThat(m.destinationAdds()).containsExactly("hostnet1");
    assertThat(m.contSent()).isFalse();
    assertThat(m.committed()).isFalse();
    assertThat(m.nextSeq()).isEqualTo(8);
  }

  @Test
  void aMigrationWithAResultIsOverAndAReusedIdCountsFromItsLastResult() {
    List<MigrationEvent> records = List.of(
        Records.entered("done", 0, Phase.PREFLIGHT),
        Records.record("done", 1, Phase.DONE, JournalStep.RESULT, null, Map.of("result", "SUCCEEDED")),
        Records.entered("again", 0, Phase.PREFLIGHT),
        Records.entered("again", 1, Phase.UNPLUG),
        Records.record("again", 2, Phase.UNPLUG, JournalStep.UNPLUG_REQUESTED, "hostnet1", Map.of()),
        Records.record("again", 3, Phase.DONE, JournalStep.RESULT, null, Map.of("result", "ROLLED_BACK")),
        Records.entered("again", 0, Phase.PREFLIGHT));

    JournalReplay.Replay replay = JournalReplay.replay(records);

    assertThat(replay.inFlight()).extracting(InFlightMigration::id).containsExactly("again");
    InFlightMigration again = replay.inFlight().get(0);
    assertThat(again.lastPhase()).isEqualTo(Phase.PREFLIGHT);
    assertThat(again.unplugRequested()).as("the earlier run's unplug is over").isEmpty();
    assertThat(again.nextSeq()).isEqualTo(1);
  }

  @Test
  void aCommitAndAnEarlierRecoveryAreCounted() {
    List<MigrationEvent> records = List.of(
        Records.entered("m2", 0, Phase.PREFLIGHT),
        Records.entered("m2", 1, Phase.COMMIT),
        Records.record("m2", 2, Phase.COMMIT, JournalStep.CONT_SENT, null, Map.of()),
        Records.record("m2", 3, Phase.COMMIT, JournalStep.COMMITTED, null, Map.of()),
        Records.record("m2", 4, Phase.COMMIT, JournalStep.RECOVERY_STARTED, null, Map.of()));

    InFlightMigration m = JournalReplay.replay(records).inFlight().get(0);

    assertThat(m.contSent()).isTrue();
    assertThat(m.committed()).isTrue();
    assertThat(m.recoveries()).isEqualTo(1);
  }

  @Test
  void recordsWithoutThePlanAreAProblemNotACrash() {
    JournalReplay.Replay replay = JournalReplay.replay(List.of(Records.entered("lost", 0, Phase.UNPLUG)));
    assertThat(replay.inFlight()).isEmpty();
    assertThat(replay.problems()).singleElement().asString().contains("lost").contains("plan");
  }

  @Test
  void stepsOfANewerFerryAreSkipped() {
    List<MigrationEvent> records = List.of(
        Records.entered("m3", 0, Phase.PREFLIGHT),
        new MigrationEvent("m3", 1, Phase.UNPLUG, io.ferry.agent.event.EventKind.STARTED, java.util.Optional.empty(),
            java.time.Instant.now(), 1, java.util.Optional.empty(), Map.of("step", "something-new")));
    assertThat(JournalReplay.replay(records).inFlight()).singleElement()
        .extracting(InFlightMigration::lastPhase).isEqualTo(Phase.PREFLIGHT);
  }
}
