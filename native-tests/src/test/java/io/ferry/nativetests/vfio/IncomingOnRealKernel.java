package io.ferry.nativetests.vfio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.ApiAction;
import io.ferry.agent.daemon.ApiResponse;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.VfioHostDevices;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.journal.FileMigrationJournal;
import io.ferry.agent.plan.PlanParser;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.VfioDevices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The peer side of a two-host migration on a real kernel, inside the lab guest (see {@link
 * RealKernelVfioTest}): the daemon's core, with the real-kernel VFIO backend and a journal file,
 * takes {@code /v1/incoming} actions for nested guestless QEMUs. An aborted incoming migration
 * gives the NIC back to e1000e and quits its QEMU; a completed one binds the NIC to vfio-pci,
 * loads a real migration stream from a nested source, plugs the NIC into the paused destination
 * with {@code device_add vfio-pci} (a real VFIO assignment) and commits.
 */
final class IncomingOnRealKernel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STEP = Duration.ofSeconds(180);

  private final Path state;
  private final PciAddress nic;
  private final VfioDevices devices;
  private final Checks checks;

  /** Where a named check's outcome goes (a CHECK line on the console). */
  interface Checks {
    void check(String name, boolean ok, String detail);
  }

  IncomingOnRealKernel(Path state, PciAddress nic, VfioDevices devices, Checks checks) {
    this.state = state;
    this.nic = nic;
    this.devices = devices;
    this.checks = checks;
  }

  void run() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (FileMigrationJournal journal = FileMigrationJournal.open(state.resolve("migrations.journal"));
        EventBus bus = new EventBus()) {
      DaemonCore daemon = new DaemonCore(bus, devices, blocking, journal, new VfioHostDevices(devices, blocking),
          null, Duration.ofHours(1));
      aborted(daemon);
      committed(daemon);
    } finally {
      blocking.shutdownNow();
    }
  }

  private void aborted(DaemonCore daemon) throws Exception {
    try (NestedQemu destination = NestedQemu.start(state, "in-abort-dst", "-S", "-incoming", "defer")) {
      ApiResponse created = call(daemon, new ApiAction.CreateIncoming(
          PlanParser.parse(plan("in-abort", destination, state.resolve("abort-mig.sock")))));
      record("incoming-prepare", created.status() == 201 && driver().equals("vfio-pci"),
          created.status() + " " + body(created) + " driver=" + driver());

      ApiResponse aborted = call(daemon, new ApiAction.AbortIncoming("in-abort"));
      JsonNode answer = body(aborted);
      record("incoming-abort", aborted.status() == 200 && answer.path("destination").asText().equals("quit")
              && answer.path("released").toString().contains(nic.toString()) && driver().equals("e1000e")
              && destination.exited(Duration.ofSeconds(60)),
          aborted.status() + " " + answer + " driver=" + driver());
    }
  }

  private void committed(DaemonCore daemon) throws Exception {
    try (NestedQemu source = NestedQemu.start(state, "in-src");
        NestedQemu destination = NestedQemu.start(state, "in-dst", "-S", "-incoming", "defer")) {
      Path stream = state.resolve("commit-mig.sock");
      ApiResponse created = call(daemon, new ApiAction.CreateIncoming(
          PlanParser.parse(plan("in-commit", destination, stream))));
      if (created.status() != 201) {
        record("incoming-load", false, created.status() + " " + body(created));
        return;
      }
      QmpClient src = source.connect();
      src.migrateSetCapabilities(Map.of("events", true)).get(STEP.toSeconds(), TimeUnit.SECONDS);
      CompletableFuture<QmpEvent> sent = src.awaitEvent(e -> e instanceof MigrationEvent m
          && (m.status().equals("completed") || m.status().equals("failed")), STEP);
      src.migrate("unix:" + stream).get(STEP.toSeconds(), TimeUnit.SECONDS);
      MigrationEvent done = (MigrationEvent) sent.get(STEP.toSeconds(), TimeUnit.SECONDS);
      record("incoming-load", done.status().equals("completed"), "source migration " + done.status());

      ApiResponse plugged = call(daemon, new ApiAction.PlugIncoming("in-commit",
          Map.of("hostdev0", Map.of("driver", "vfio-pci", "host", nic.toString(), "bus", "rp1"))));
      record("incoming-plug", plugged.status() == 200
          && body(plugged).path("devices").path(0).path("plugged").asBoolean(), plugged.status() + " " + body(plugged));

      ApiResponse committed = call(daemon, new ApiAction.CommitIncoming("in-commit"));
      try (QmpClient dst = destination.connect()) {
        boolean running = dst.queryStatus().get(STEP.toSeconds(), TimeUnit.SECONDS).running();
        JsonNode host = dst.qomGet("/machine/peripheral/hostdev0", "host").get(STEP.toSeconds(), TimeUnit.SECONDS);
        record("incoming-commit", committed.status() == 200 && running && host.asText().equals(nic.toString())
                && driver().equals("vfio-pci"),
            committed.status() + " " + body(committed) + " running=" + running + " host=" + host);
        dst.quit().exceptionally(t -> null).get(STEP.toSeconds(), TimeUnit.SECONDS);
      }
      src.quit().exceptionally(t -> null).get(STEP.toSeconds(), TimeUnit.SECONDS);
    } finally {
      // The committed guest's QEMU has quit: the NIC goes back to its driver, as its owner would do.
      if (driver().equals("vfio-pci")) {
        record("incoming-release", devices.release(nic).driver().equals(Optional.of("e1000e")), "driver=" + driver());
      }
    }
  }

  /** A plan for one NIC bound to vfio-pci on this (real) kernel and plugged under root port rp1. */
  private String plan(String id, NestedQemu destination, Path stream) {
    return """
        {"id": "%s", "source": {"qmp": "/run/ferry-test/unused-src.qmp"}, "destination": {"qmp": "%s"},
         "uri": "unix:%s", "timeouts": {"replug": "120s"},
         "devices": [{"id": "hostdev0", "destination": {"driver": "vfio-pci", "host": "%s", "bus": "rp1"}}]}
        """.formatted(id, destination.socket, stream, nic);
  }

  private ApiResponse call(DaemonCore daemon, ApiAction action) throws Exception {
    try {
      return daemon.handle(action).get(STEP.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      // The edge turns a refusal into a JSON error; here it is the exception: show it as one.
      return ApiResponse.json(599, Map.of("error", String.valueOf(e.getCause())));
    }
  }

  private static JsonNode body(ApiResponse response) {
    return JSON.valueToTree(response.json());
  }

  private String driver() throws Exception {
    return devices.find(nic).orElseThrow().driver().orElse("none");
  }

  private void record(String name, boolean ok, String detail) {
    checks.check(name, ok, detail);
  }
}
