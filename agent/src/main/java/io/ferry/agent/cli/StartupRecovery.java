package io.ferry.agent.cli;

import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.journal.InFlightMigration;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.ReleasedDevice;
import io.ferry.vfio.VfioDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * What {@code ferry serve} does once listening: settles the migrations its journal shows in
 * flight (those it was the source of, and the incoming ones it was the destination of: an
 * uncommitted incoming migration is aborted, its destination QEMU quit and its devices released),
 * then puts back the host devices ferry bound that no VM uses (the device journal's
 * interrupted operations are undone; devices it shows prepared are released unless a VM holds
 * them, which the release itself refuses).
 */
final class StartupRecovery {
  private StartupRecovery() {}

  static CompletableFuture<Void> run(DaemonCore core, JournalReplay.Replay replay, Path deviceJournal, Executor blocking) {
    List<InFlightMigration> inFlight = replay.inFlight();
    CompletableFuture<Void> settled = CompletableFuture.allOf(
        core.recover(inFlight), core.recoverIncoming(replay.incoming()));
    // Printed once every recovered migration is registered: from now on the API shows them.
    inFlight.forEach(m -> System.err.println("ferry: recovering migration " + m.id() + " (interrupted in " + m.lastPhase() + ")"));
    replay.incoming().forEach(m -> System.err.println("ferry: recovering incoming migration " + m.id()
        + " (interrupted in " + m.lastPhase() + ", devices bound: " + m.prepared() + ")"));
    System.err.println("ferry: recovery started for " + inFlight.size() + " migration(s) and "
        + replay.incoming().size() + " incoming migration(s)");
    settled.thenRun(() -> System.err.println("ferry: recovery done"));
    return settled
        .handle((v, error) -> null)
        .thenRunAsync(() -> releaseUnusedDevices(deviceJournal), blocking);
  }

  private static void releaseUnusedDevices(Path deviceJournal) {
    if (!Files.exists(deviceJournal)) {
      return; // ferry never bound a device on this host
    }
    VfioDevices devices = VfioDevices.forHost(deviceJournal);
    try {
      for (ReleasedDevice r : devices.recover()) {
        System.err.println("ferry: device " + r.address() + " put back after an interrupted operation");
      }
      for (PciAddress address : devices.prepared()) {
        try {
          devices.release(address);
          System.err.println("ferry: device " + address + " released (bound by ferry, used by no VM)");
        } catch (DeviceOperationException e) {
          System.err.println("ferry: device " + address + " kept: " + e.getMessage());
        }
      }
    } catch (DeviceOperationException | IOException e) {
      System.err.println("ferry: device recovery failed: " + e.getMessage());
    }
  }
}
