package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.journal.FileMigrationJournal;
import io.ferry.agent.journal.InFlightIncoming;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.journal.JournalStep;
import io.ferry.vfio.PciAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A destination daemon that dies while it holds an uncommitted incoming migration: its journal
 * tells the restarted daemon what was bound, and the restart quits the waiting destination QEMU
 * and gives the device back (vfio fake kernel, stand-in QEMU).
 */
class IncomingRecoveryTest {
  @TempDir Path dir;

  @Test
  void aRestartedDestinationDaemonReleasesWhatAnUncommittedIncomingBound() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FakeHost host = new FakeHost(dir.resolve("host"));
        FakeDestinationQemu qemu = new FakeDestinationQemu(dir.resolve("dst.qmp"))) {
      // The first daemon prepares the incoming migration, then "crashes": no abort, no result.
      try (FileMigrationJournal journal = FileMigrationJournal.open(file); EventBus bus = new EventBus()) {
        DaemonCore first = new DaemonCore(bus, host.devices, blocking, journal,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        assertThat(first.handle(new ApiAction.CreateIncoming(IncomingLeaseTest.plan("in-crash", qemu.socket())))
            .get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
      }
      assertThat(driver(host)).isEqualTo("vfio-pci");
      List<MigrationEvent> written = FileMigrationJournal.records(file);
      assertThat(written.get(0).detail()).containsEntry("role", "incoming").containsKey("plan");
      assertThat(written).extracting(r -> r.detail().get("step")).containsSubsequence(
          JournalStep.HOST_DEVICE_PREPARE.wireName(), JournalStep.HOST_DEVICE_PREPARED.wireName(),
          JournalStep.MIGRATE_STARTED.wireName());

      JournalReplay.Replay replay = JournalReplay.replay(written);
      assertThat(replay.inFlight()).as("not mistaken for a migration this host sources").isEmpty();
      assertThat(replay.incoming()).extracting(InFlightIncoming::id).containsExactly("in-crash");
      assertThat(replay.incoming().get(0).prepared()).containsExactly(FakeHost.NIC);

      try (FileMigrationJournal journal = FileMigrationJournal.open(file); EventBus bus = new EventBus()) {
        DaemonCore restarted = new DaemonCore(bus, host.devices, blocking, journal,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        restarted.recoverIncoming(JournalReplay.replay(journal.recordsAtOpen()).incoming()).get(60, TimeUnit.SECONDS);

        @SuppressWarnings("unchecked")
        Map<String, Object> listed = (Map<String, Object>) restarted.handle(new ApiAction.GetMigration("in-crash"))
            .get(10, TimeUnit.SECONDS).json();
        assertThat(listed).containsEntry("role", "incoming").containsEntry("recovered", true)
            .containsEntry("state", "aborted").containsEntry("result", "ROLLED_BACK");
        assertThat((String) listed.get("reason")).contains("restarted before the commit");
        assertThat(bus.history("in-crash")).anySatisfy(e -> assertThat(e.detail()).containsEntry("step", "recovery-started"));
      }
      assertThat(qemu.quit()).as("the waiting destination QEMU is quit, as an abort does").isDone();
      assertThat(driver(host)).as("the device is back on its driver").isEqualTo("igb");
    } finally {
      blocking.shutdownNow();
    }
    List<MigrationEvent> records = FileMigrationJournal.records(file);
    assertThat(records).extracting(r -> r.detail().get("step")).contains(
        JournalStep.RECOVERY_STARTED.wireName(), JournalStep.HOST_DEVICE_RELEASED.wireName(), JournalStep.RESULT.wireName());
    assertThat(records.get(records.size() - 1).detail()).containsEntry("result", "ROLLED_BACK").containsEntry("recovered", true);
    JournalReplay.Replay settled = JournalReplay.replay(records);
    assertThat(settled.incoming()).as("settled: nothing left to recover").isEmpty();
    assertThat(settled.inFlight()).isEmpty();
  }

  @Test
  void aCommittedIncomingIsLeftRunningByTheRestart() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FakeHost host = new FakeHost(dir.resolve("host"));
        FakeDestinationQemu qemu = new FakeDestinationQemu(dir.resolve("dst.qmp")).loadingAtOnce()) {
      try (FileMigrationJournal journal = FileMigrationJournal.open(file); EventBus bus = new EventBus()) {
        DaemonCore first = new DaemonCore(bus, host.devices, blocking, journal,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        first.handle(new ApiAction.CreateIncoming(IncomingLeaseTest.plan("in-ran", qemu.socket()))).get(30, TimeUnit.SECONDS);
        first.handle(new ApiAction.CommitIncoming("in-ran")).get(30, TimeUnit.SECONDS);
      }
      // The commit's result record closed it: a restart has nothing to settle, and must not touch it.
      List<MigrationEvent> records = FileMigrationJournal.records(file);
      assertThat(records).extracting(r -> r.detail().get("step")).containsSubsequence(
          JournalStep.CONT_SENT.wireName(), JournalStep.COMMITTED.wireName(), JournalStep.RESULT.wireName());
      assertThat(JournalReplay.replay(records).incoming()).isEmpty();

      // Had it crashed between cont and its result record, the restart finds the guest running here.
      List<MigrationEvent> beforeResult = records.subList(0, records.size() - 1);
      InFlightIncoming interrupted = JournalReplay.replay(beforeResult).incoming().get(0);
      assertThat(interrupted.committed()).isTrue();
      try (EventBus bus = new EventBus()) {
        DaemonCore restarted = new DaemonCore(bus, host.devices, blocking, io.ferry.agent.journal.MigrationJournal.NONE,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        restarted.recoverIncoming(List.of(interrupted)).get(60, TimeUnit.SECONDS);
        @SuppressWarnings("unchecked")
        Map<String, Object> listed = (Map<String, Object>) restarted.handle(new ApiAction.GetMigration("in-ran"))
            .get(10, TimeUnit.SECONDS).json();
        assertThat(listed).containsEntry("state", "committed").containsEntry("result", "SUCCEEDED");
      }
      assertThat(qemu.commands()).doesNotContain("quit");
      assertThat(driver(host)).isEqualTo("vfio-pci");
    } finally {
      blocking.shutdownNow();
    }
  }

  private static String driver(FakeHost host) throws Exception {
    return host.devices.find(PciAddress.parse(FakeHost.NIC)).orElseThrow().driver().orElse("none");
  }
}
