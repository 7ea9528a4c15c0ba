package io.ferry.agent.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileMigrationJournalTest {
  @TempDir Path dir;

  @Test
  void anAppendCompletesOnlyOnceItsLineIsInTheFileAndLinesKeepTheirOrder() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    List<MigrationEvent> written = List.of(
        Records.entered("m1", 0, Phase.PREFLIGHT),
        Records.record("m1", 1, Phase.PREFLIGHT, JournalStep.SOURCE_DEVICES, null,
            Map.of("devices", Map.of("hostnet1", Map.of("driver", "e1000e", "bus", "rp1")))),
        Records.entered("m1", 2, Phase.UNPLUG),
        Records.record("m1", 3, Phase.UNPLUG, JournalStep.UNPLUG_REQUESTED, "hostnet1", Map.of()));
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      for (MigrationEvent r : written) {
        // What the orchestrator does: act only in the continuation of the append's future.
        List<String> seenByTheAction = journal.append(r)
            .thenApply(v -> readLines(file))
            .get(10, TimeUnit.SECONDS);
        assertThat(seenByTheAction).last().isEqualTo(EventJson.toLine(r));
      }
    }
    assertThat(FileMigrationJournal.records(file)).isEqualTo(written);
    assertThat(Files.readString(file)).endsWith("\n");
  }

  @Test
  void concurrentAppendsEachGetAWholeLine() throws Exception {
    Path file = dir.resolve("migrations.journal");
    List<CompletableFuture<Void>> appends = new ArrayList<>();
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      for (int i = 0; i < 200; i++) {
        appends.add(journal.append(Records.record("m" + (i % 4), i / 4, Phase.UNPLUG,
            JournalStep.UNPLUG_REQUESTED, "hostnet" + i, Map.of())));
      }
      CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }
    assertThat(FileMigrationJournal.records(file)).hasSize(200);
  }

  @Test
  void aTornLastLineIsIgnoredAndCutOffSoTheNextRecordStartsOnItsOwnLine() throws Exception {
    Path file = dir.resolve("migrations.journal");
    MigrationEvent first = Records.entered("m1", 0, Phase.PREFLIGHT);
    MigrationEvent torn = Records.entered("m1", 1, Phase.UNPLUG);
    String tornLine = EventJson.toLine(torn);
    Files.writeString(file, EventJson.toLine(first) + "\n" + tornLine.substring(0, tornLine.length() / 2));
    assertThat(FileMigrationJournal.records(file)).containsExactly(first);

    MigrationEvent next = Records.entered("m1", 1, Phase.ROLLBACK);
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      journal.append(next).get(10, TimeUnit.SECONDS);
    }
    assertThat(FileMigrationJournal.records(file)).containsExactly(first, next);
    assertThat(readLines(file)).hasSize(2);
  }

  @Test
  void aCompleteLastRecordWithoutItsNewlineCountsAsTorn() throws Exception {
    // Its append never completed, so the action it announced was never taken.
    Path file = dir.resolve("migrations.journal");
    MigrationEvent first = Records.entered("m1", 0, Phase.PREFLIGHT);
    Files.writeString(file, EventJson.toLine(first) + "\n" + EventJson.toLine(Records.entered("m1", 1, Phase.UNPLUG)));
    assertThat(FileMigrationJournal.records(file)).containsExactly(first);
  }

  @Test
  void damageBeforeTheLastLineIsReportedNotSkipped() throws Exception {
    Path file = dir.resolve("migrations.journal");
    Files.writeString(file, "{\"not\":\"a record\"}\n" + EventJson.toLine(Records.entered("m1", 0, Phase.PREFLIGHT)) + "\n");
    assertThatThrownBy(() -> FileMigrationJournal.records(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("line 1");
  }

  @Test
  void openingKeepsOnlyTheMigrationsStillInFlight() throws Exception {
    Path file = dir.resolve("migrations.journal");
    List<MigrationEvent> all = List.of(
        Records.entered("done", 0, Phase.PREFLIGHT),
        Records.entered("open", 0, Phase.PREFLIGHT),
        Records.record("done", 1, Phase.DONE, JournalStep.RESULT, null, Map.of("result", "SUCCEEDED")),
        Records.entered("open", 1, Phase.UNPLUG));
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      for (MigrationEvent r : all) {
        journal.append(r).get(10, TimeUnit.SECONDS);
      }
    }
    assertThat(FileMigrationJournal.records(file)).isEqualTo(all);
    try (FileMigrationJournal journal = FileMigrationJournal.open(file)) {
      assertThat(journal.recordsAtOpen()).containsExactly(all.get(1), all.get(3));
      assertThat(FileMigrationJournal.records(file)).containsExactly(all.get(1), all.get(3));
    }
  }

  @Test
  void aSecondDaemonOnTheSameJournalIsRefused() throws Exception {
    Path file = dir.resolve("migrations.journal");
    try (FileMigrationJournal first = FileMigrationJournal.open(file)) {
      assertThatThrownBy(() -> FileMigrationJournal.open(file))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("in use by another ferry daemon");
    }
    FileMigrationJournal.open(file).close(); // free again once the first is closed
  }

  @Test
  void noFileMeansNoRecords() throws Exception {
    assertThat(FileMigrationJournal.records(dir.resolve("absent.journal"))).isEmpty();
  }

  @Test
  void aSlowPhaseDelaysItsRecordsButNotTheOneEnteringIt() throws Exception {
    Path file = dir.resolve("migrations.journal");
    Duration slow = Duration.ofSeconds(3);
    try (FileMigrationJournal journal = FileMigrationJournal.open(file, Map.of(Phase.REPLUG, slow))) {
      long t0 = System.nanoTime();
      journal.append(Records.entered("m1", 0, Phase.REPLUG)).get(10, TimeUnit.SECONDS);
      long entering = System.nanoTime() - t0;
      t0 = System.nanoTime();
      CompletableFuture<Void> add = journal.append(
          Records.record("m1", 1, Phase.REPLUG, JournalStep.DEVICE_ADD, "hostnet1", Map.of("side", "destination")));
      // Durable at once (the line is in the file), but reported only after the delay.
      add.get(10, TimeUnit.SECONDS);
      long adding = System.nanoTime() - t0;
      assertThat(entering).isLessThan(slow.toNanos());
      assertThat(adding).isGreaterThanOrEqualTo(slow.toNanos());
    }
    assertThat(FileMigrationJournal.records(file)).hasSize(2);
  }

  @Test
  void aSlowStepDelaysOnlyThatStepsRecordsInAnyPhase() throws Exception {
    Path file = dir.resolve("migrations.journal");
    Duration slow = Duration.ofSeconds(2);
    try (FileMigrationJournal journal = FileMigrationJournal.open(file, Map.of(),
        Map.of(JournalStep.COMMITTED.wireName(), slow))) {
      long t0 = System.nanoTime();
      journal.append(Records.record("m1", 0, Phase.COMMIT, JournalStep.CONT_SENT, null, Map.of())).get(10, TimeUnit.SECONDS);
      long other = System.nanoTime() - t0;
      t0 = System.nanoTime();
      journal.append(Records.record("m1", 1, Phase.COMMIT, JournalStep.COMMITTED, null, Map.of())).get(10, TimeUnit.SECONDS);
      long committed = System.nanoTime() - t0;
      assertThat(other).isLessThan(slow.toNanos());
      assertThat(committed).isGreaterThanOrEqualTo(slow.toNanos());
    }
    assertThat(FileMigrationJournal.records(file)).hasSize(2);
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
