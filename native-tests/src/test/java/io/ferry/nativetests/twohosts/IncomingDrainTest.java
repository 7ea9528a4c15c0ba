package io.ferry.nativetests.twohosts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.DaemonServer;
import io.ferry.agent.daemon.PeerPolicy;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.migration.HostDevices;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.vfio.VfioDevices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A destination daemon that stops (SIGTERM's drain) while it holds an incoming migration the
 * source has not committed: once the grace is over it aborts it as {@code /abort} would (the
 * paused incoming QEMU quit, the devices it bound released), refuses new incoming migrations with
 * 503, and /healthz counts what is left.
 */
@ExtendWith(NoLeftoverQemu.class)
class IncomingDrainTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void stoppingAbortsAnUncommittedIncomingAndRefusesNewOnes() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    List<String> calls = Collections.synchronizedList(new ArrayList<>());
    HostDevices devices = new HostDevices() {
      @Override
      public CompletableFuture<Void> prepare(String pciAddress) {
        calls.add("prepare " + pciAddress);
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletableFuture<Void> release(String pciAddress) {
        calls.add("release " + pciAddress);
        return CompletableFuture.completedFuture(null);
      }
    };
    LabVmBuilder machine = LabVm.builder("incdrain", workDir, LabGuest.image()).rootPorts(2);
    try (LabVm incoming = machine.copy().name("incdrain-dst").incoming(true).start();
        EventBus bus = new EventBus()) {
      DaemonCore core = new DaemonCore(bus, VfioDevices.forHost(workDir.resolve("devices.journal")), blocking,
          MigrationJournal.NONE, devices, null);
      try (DaemonServer server = DaemonServer.start(workDir.resolve("ferry.sock"), core, PeerPolicy.withDefaults(List.of()))) {
        Path socket = server.socket();
        String created = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan("drain-1", incoming.agentQmpSocket(), IncomingLab.freePort()), "http://ferry/v1/incoming");
        assertThat(JSON.readTree(created).path("state").asText()).as(created).isEqualTo("listening");
        assertThat(JSON.readTree(DaemonCurl.body(socket, "http://ferry/healthz")).path("incoming").asInt()).isEqualTo(1);

        // No source calls during the grace: the incoming is then given up.
        core.drain(Duration.ofMillis(300)).get(60, TimeUnit.SECONDS);

        JsonNode after = JSON.readTree(DaemonCurl.body(socket, "http://ferry/v1/migrations/drain-1"));
        assertThat(after.path("role").asText()).as(after.toString()).isEqualTo("incoming");
        assertThat(after.path("state").asText()).as(after.toString()).isEqualTo("aborted");
        assertThat(after.path("result").asText()).as(after.toString()).isEqualTo("ROLLED_BACK");
        assertThat(after.path("reason").asText()).contains("stopped before the commit");
        assertThat(incoming.onExit().get(30, TimeUnit.SECONDS)).isNotNull();
        assertThat(calls).containsExactly("prepare 0000:00:08.0", "release 0000:00:08.0");

        JsonNode health = JSON.readTree(DaemonCurl.body(socket, "http://ferry/healthz"));
        assertThat(health.path("status").asText()).isEqualTo("stopping");
        assertThat(health.path("incoming").asInt()).isZero();
        String refused = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan("drain-2", incoming.agentQmpSocket(), IncomingLab.freePort()), "http://ferry/v1/incoming");
        assertThat(JSON.readTree(refused).path("error").path("code").asText()).as(refused).isEqualTo("shutting_down");
      }
    } finally {
      blocking.shutdown();
    }
  }

  private static String plan(String id, Path destinationQmp, int port) {
    return "{\"id\": \"" + id + "\", \"source\": {\"qmp\": \"/run/elsewhere/src.qmp\"},"
        + " \"destination\": {\"agent\": \"https://127.0.0.1:7443\", \"qmp\": \"" + destinationQmp + "\"},"
        + " \"uri\": \"tcp:127.0.0.1:" + port + "\", \"devices\": ["
        + "{\"id\": \"hostdev0\", \"destination\": {\"driver\": \"vfio-pci\", \"host\": \"0000:00:08.0\"}}]}";
  }
}
