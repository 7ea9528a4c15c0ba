package io.ferry.nativetests.twohosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.PlanParser;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Real QEMUs for the destination daemon's incoming migrations: a destination started with
 * {@code -S -incoming defer} (the lab's {@code incoming(true)}), and a lab guest as the source
 * that sends it a real migration stream when a test needs the destination to have received one.
 */
final class IncomingLab {
  static final Duration DEADLINE = Duration.ofSeconds(120);

  private IncomingLab() {}

  /** The machine both sides share (a migration needs the same devices on both). */
  static LabVmBuilder machine(String name, Path workDir) {
    return LabVm.builder(name, workDir, LabGuest.image()).rootPorts(1);
  }

  static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  /** An incoming migration of one NIC bound to vfio-pci on this host (the fake kernel's). */
  static MigrationPlan plan(String id, Path destinationQmp, int port) throws Exception {
    return PlanParser.parse("""
        {"id": "%s", "source": {"qmp": "/run/vm1/src.qmp"}, "destination": {"qmp": "%s"},
         "uri": "tcp:127.0.0.1:%d",
         "devices": [{"id": "hostnet1", "destination": {"driver": "vfio-pci", "host": "%s"}}]}
        """.formatted(id, destinationQmp, port, FakeKernelHost.NIC));
  }

  /**
   * The source's side of the migration, through the lab's own monitor: starts {@code migrate} to
   * the destination listening on {@code port}; completes when the source reports it completed.
   */
  static CompletableFuture<Void> send(LabVm source, int port) {
    QmpClient src = source.qmp().join();
    src.migrateSetCapabilities(Map.of("events", true)).join();
    src.migrateSetParameters(Map.of("max-bandwidth", 1L << 40)).join();
    CompletableFuture<QmpEvent> done = src.awaitEvent(
        e -> e instanceof MigrationEvent m && (m.status().equals("completed") || m.status().equals("failed")), DEADLINE);
    return src.migrate("tcp:127.0.0.1:" + port).thenCompose(v -> done).thenAccept(e ->
        assertThat(((MigrationEvent) e).status()).as("the source's migration").isEqualTo("completed"));
  }

  /** What QEMU itself says its run state is, on the lab's monitor (not the daemon's). */
  static String status(LabVm vm) throws Exception {
    return vm.qmp().join().queryStatus().get(30, TimeUnit.SECONDS).status();
  }

  /** The destination QEMU process is gone (quit, as an abort does). */
  static boolean quits(LabVm vm) throws Exception {
    vm.onExit().get(30, TimeUnit.SECONDS);
    return !vm.isAlive();
  }
}
