package io.ferry.nativetests.twohosts;

import static io.ferry.nativetests.twohosts.IncomingLab.freePort;
import static io.ferry.nativetests.twohosts.IncomingLab.machine;
import static io.ferry.nativetests.twohosts.IncomingLab.plan;
import static io.ferry.nativetests.twohosts.IncomingLab.quits;
import static io.ferry.nativetests.twohosts.IncomingLab.status;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.daemon.ApiAction;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.VfioHostDevices;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.journal.FileMigrationJournal;
import io.ferry.agent.journal.InFlightIncoming;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.lab.LabVm;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A destination daemon that dies while it holds an incoming migration, against a real
 * destination QEMU ({@code -S -incoming defer}) and the vfio fake kernel: its journal tells the
 * restarted daemon what was bound; the restart quits a destination QEMU still waiting
 * (uncommitted) and gives the device back, and leaves one that runs the guest (committed, after
 * a real migration into it) running.
 */
@ExtendWith(NoLeftoverQemu.class)
class IncomingRecoveryTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  void aRestartedDestinationDaemonReleasesWhatAnUncommittedIncomingBound() throws Exception {
    Path file = dir.resolve("state/migrations.journal");
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FakeKernelHost host = new FakeKernelHost(dir.resolve("host"));
        LabVm destination = machine("rec", dir).name("rec-dst").incoming(true).start();
        MonitorRelay monitor = relay(destination, dir)) {
      // The first daemon prepares the incoming migration, then "crashes": no abort, no result.
      try (FileMigrationJournal journal = FileMigrationJournal.open(file); EventBus bus = new EventBus()) {
        DaemonCore first = new DaemonCore(bus, host.devices, blocking, journal,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        assertThat(first.handle(new ApiAction.CreateIncoming(plan("in-crash", monitor.path(), freePort())))
            .get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
        monitor.dropConnections(); // the crash
      }
      assertThat(host.driver()).isEqualTo("vfio-pci");
      assertThat(status(destination)).isEqualTo("inmigrate");
      List<MigrationEvent> written = FileMigrationJournal.records(file);
      assertThat(written.get(0).detail()).containsEntry("role", "incoming").containsKey("plan");
      assertThat(written).extracting(r -> r.detail().get("step")).containsSubsequence(
          JournalStep.HOST_DEVICE_PREPARE.wireName(), JournalStep.HOST_DEVICE_PREPARED.wireName(),
          JournalStep.MIGRATE_STARTED.wireName());

      JournalReplay.Replay replay = JournalReplay.replay(written);
      assertThat(replay.inFlight()).as("not mistaken for a migration this host sources").isEmpty();
      assertThat(replay.incoming()).extracting(InFlightIncoming::id).containsExactly("in-crash");
      assertThat(replay.incoming().get(0).prepared()).containsExactly(FakeKernelHost.NIC);

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
      assertThat(quits(destination)).as("the waiting destination QEMU is quit, as an abort does").isTrue();
      assertThat(host.driver()).as("the device is back on its driver").isEqualTo("igb");
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
    int port = freePort();
    try (FakeKernelHost host = new FakeKernelHost(dir.resolve("host"));
        LabVm destination = machine("ran", dir).name("ran-dst").incoming(true).start();
        LabVm source = machine("ran", dir).name("ran-src").start();
        MonitorRelay monitor = relay(destination, dir)) {
      try (FileMigrationJournal journal = FileMigrationJournal.open(file); EventBus bus = new EventBus()) {
        DaemonCore first = new DaemonCore(bus, host.devices, blocking, journal,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        first.handle(new ApiAction.CreateIncoming(plan("in-ran", monitor.path(), port))).get(30, TimeUnit.SECONDS);
        IncomingLab.send(source, port).get(120, TimeUnit.SECONDS);
        first.handle(new ApiAction.CommitIncoming("in-ran")).get(30, TimeUnit.SECONDS);
        monitor.dropConnections(); // the crash
      }
      assertThat(status(destination)).as("the guest runs here").isEqualTo("running");
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
        DaemonCore restarted = new DaemonCore(bus, host.devices, blocking, MigrationJournal.NONE,
            new VfioHostDevices(host.devices, blocking), null, Duration.ofHours(1));
        restarted.recoverIncoming(List.of(interrupted)).get(60, TimeUnit.SECONDS);
        @SuppressWarnings("unchecked")
        Map<String, Object> listed = (Map<String, Object>) restarted.handle(new ApiAction.GetMigration("in-ran"))
            .get(10, TimeUnit.SECONDS).json();
        assertThat(listed).containsEntry("state", "committed").containsEntry("result", "SUCCEEDED");
      }
      assertThat(destination.isAlive()).as("not quit").isTrue();
      assertThat(status(destination)).as("still running the guest").isEqualTo("running");
      assertThat(host.driver()).isEqualTo("vfio-pci");
    } finally {
      blocking.shutdownNow();
    }
  }

  /**
   * What a crash of the daemon's process does to the destination QEMU: its monitor connection
   * closes (QEMU serves one client per monitor, so the restarted daemon gets it only then). The
   * daemon reaches the monitor through a relay, which cuts the connection as the kernel would.
   */
  private static MonitorRelay relay(LabVm destination, Path dir) throws Exception {
    return MonitorRelay.start(dir.resolve("relay-" + destination.name() + ".qmp"), destination.agentQmpSocket());
  }
}
