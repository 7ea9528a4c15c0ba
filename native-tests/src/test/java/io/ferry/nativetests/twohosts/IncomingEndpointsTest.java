package io.ferry.nativetests.twohosts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.vfio.VfioDevices;
import io.ferry.agent.daemon.DaemonServer;
import io.ferry.agent.daemon.PeerPolicy;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.migration.HostDevices;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * The destination side of the peer protocol against real QEMUs, through the daemon's unix socket
 * (the same endpoints peers reach over TLS): refusals change nothing, and an abort quits the
 * prepared destination and ends its event stream with ROLLED_BACK.
 */
@ExtendWith(NoLeftoverQemu.class)
class IncomingEndpointsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void anIncomingIsPreparedRefusedWhenItDoesNotFitAndAbortedByQuittingTheDestination() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    LabVmBuilder machine = LabVm.builder("inc", workDir, LabGuest.image()).rootPorts(2);
    try (LabVm incoming = machine.copy().name("inc-dst").incoming(true).start();
        LabVm notIncoming = machine.copy().name("inc-paused").paused(true).start();
        EventBus bus = new EventBus();
        DaemonServer server = DaemonServer.start(workDir.resolve("ferry.sock"),
            new DaemonCore(bus, VfioDevices.forHost(workDir.resolve("devices.journal")), blocking), PeerPolicy.withDefaults(List.of()))) {
      Path socket = server.socket();
      int port;
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }

      // A QEMU that is paused but not waiting for a migration is refused, and left as it was.
      Reply refused = post(socket, "/v1/incoming", plan("inc-refused", notIncoming.agentQmpSocket(), port));
      assertThat(refused.status()).as(refused.body()).isEqualTo(409);
      assertThat(code(refused)).isEqualTo("destination_not_incoming");
      assertThat(notIncoming.qmp().join().queryStatus().join().status()).isEqualTo("prelaunch");

      // Failover: the primary's standby must be on the destination QEMU; this one has none.
      Reply noStandby = post(socket, "/v1/incoming", plan("inc-fo", incoming.agentQmpSocket(), port)
          .replace("{\"id\": \"hostnet1\"}", "{\"id\": \"hostdev0\", \"destination\": {\"driver\": \"e1000e\","
              + " \"failover_pair_id\": \"standby0\"}}")
          .replace("\"devices\"", "\"mode\": \"failover\", \"devices\""));
      assertThat(noStandby.status()).as(noStandby.body()).isEqualTo(409);
      assertThat(code(noStandby)).isEqualTo("standby_missing");
      assertThat(JSON.readTree(noStandby.body()).path("error").path("message").asText()).contains("standby0");
      assertThat(incoming.qmp().join().queryStatus().join().status()).as("left waiting").isEqualTo("inmigrate");
      assertThat(portTaken(port)).as("no migrate-incoming was sent").isFalse();

      Reply created = post(socket, "/v1/incoming", plan("inc-1", incoming.agentQmpSocket(), port));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(JSON.readTree(created.body()).path("state").asText()).isEqualTo("listening");
      // QEMU now listens on the plan's uri: the port is taken.
      assertThat(portTaken(port)).isTrue();

      assertThat(code(post(socket, "/v1/incoming", plan("inc-1", incoming.agentQmpSocket(), port))))
          .isEqualTo("duplicate_id");
      assertThat(code(post(socket, "/v1/incoming", plan("inc-2", incoming.agentQmpSocket(), port))))
          .isEqualTo("destination_busy");
      assertThat(code(post(socket, "/v1/incoming/nope/abort", null))).isEqualTo("unknown_incoming");

      Reply aborted = post(socket, "/v1/incoming/inc-1/abort", null);
      assertThat(aborted.status()).as(aborted.body()).isEqualTo(200);
      JsonNode abortedJson = JSON.readTree(aborted.body());
      assertThat(abortedJson.path("state").asText()).isEqualTo("aborted");
      assertThat(abortedJson.path("destination").asText()).isEqualTo("quit");
      assertThat(incoming.onExit().get(30, TimeUnit.SECONDS)).isNotNull();
      assertThat(code(post(socket, "/v1/incoming/inc-1/commit", null))).isEqualTo("wrong_state");
      assertThat(post(socket, "/v1/incoming/inc-1/abort", null).status()).isEqualTo(200);

      // The destination's own stream of it: prepared, listening, rolled back.
      String stream = curl(socket, "-N", "http://ferry/v1/migrations/inc-1/events").body();
      List<MigrationEvent> events = stream.lines().map(EventJson::fromLine).toList();
      MigrationEvent last = events.get(events.size() - 1);
      assertThat(ResultDetail.of(last).result()).as(stream).isEqualTo(Result.ROLLED_BACK);
      assertThat(events).anyMatch(e -> e.phase() == Phase.MIGRATE && e.kind() == EventKind.STARTED);
      assertThat(events).anyMatch(e -> e.phase() == Phase.ROLLBACK && "quit-destination".equals(e.detail().get("step")));
      String refusedStream = curl(socket, "-N", "http://ferry/v1/migrations/inc-refused/events").body();
      assertThat(refusedStream).contains("\"kind\":\"failed\"").contains("ROLLED_BACK");
    } finally {
      blocking.shutdown();
    }
  }

  @Test
  void theDevicesAnIncomingBindsAreReleasedByItsAbortAndByAFailedPrepare() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    // The host side of VFIO (sysfs binds) is the vfio module's, tested on a real kernel there;
    // here it records what the incoming asks of it, and refuses one address.
    List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    HostDevices devices = new HostDevices() {
      @Override
      public CompletableFuture<Void> prepare(String pciAddress) {
        calls.add("prepare " + pciAddress);
        return pciAddress.equals("0000:00:09.0")
            ? CompletableFuture.failedFuture(new IllegalStateException(pciAddress + " is in use"))
            : CompletableFuture.completedFuture(null);
      }

      @Override
      public CompletableFuture<Void> release(String pciAddress) {
        calls.add("release " + pciAddress);
        return CompletableFuture.completedFuture(null);
      }
    };
    LabVmBuilder machine = LabVm.builder("incdev", workDir, LabGuest.image()).rootPorts(2);
    try (LabVm incoming = machine.copy().name("incdev-dst").incoming(true).start();
        EventBus bus = new EventBus();
        DaemonServer server = DaemonServer.start(workDir.resolve("ferry.sock"),
            new DaemonCore(bus, VfioDevices.forHost(workDir.resolve("devices.journal")), blocking,
                MigrationJournal.NONE, devices, null), PeerPolicy.withDefaults(List.of()))) {
      Path socket = server.socket();
      int port;
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }

      // The second device cannot be bound: the first is released, the QEMU is left untouched.
      Reply failed = post(socket, "/v1/incoming", vfioPlan("dev-1", incoming.agentQmpSocket(), port, "0000:00:09.0"));
      assertThat(failed.status()).as(failed.body()).isEqualTo(502);
      assertThat(failed.body()).contains("0000:00:09.0 is in use");
      assertThat(calls).containsExactly("prepare 0000:00:08.0", "prepare 0000:00:09.0", "release 0000:00:08.0");
      assertThat(incoming.qmp().join().queryStatus().join().status()).isEqualTo("inmigrate");
      calls.clear();

      Reply created = post(socket, "/v1/incoming", vfioPlan("dev-2", incoming.agentQmpSocket(), port, "0000:00:0a.0"));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(JSON.readTree(created.body()).path("prepared").toString())
          .isEqualTo("[\"0000:00:08.0\",\"0000:00:0a.0\"]");
      Reply aborted = post(socket, "/v1/incoming/dev-2/abort", null);
      assertThat(aborted.status()).as(aborted.body()).isEqualTo(200);
      assertThat(calls).containsExactly("prepare 0000:00:08.0", "prepare 0000:00:0a.0",
          "release 0000:00:08.0", "release 0000:00:0a.0");
      assertThat(incoming.onExit().get(30, TimeUnit.SECONDS)).isNotNull();
    } finally {
      blocking.shutdown();
    }
  }

  private static String vfioPlan(String id, Path destinationQmp, int port, String secondHost) {
    return "{\"id\": \"" + id + "\", \"source\": {\"qmp\": \"/run/elsewhere/src.qmp\"},"
        + " \"destination\": {\"agent\": \"https://127.0.0.1:7443\", \"qmp\": \"" + destinationQmp + "\"},"
        + " \"uri\": \"tcp:127.0.0.1:" + port + "\", \"devices\": ["
        + "{\"id\": \"hostdev0\", \"destination\": {\"driver\": \"vfio-pci\", \"host\": \"0000:00:08.0\"}},"
        + "{\"id\": \"hostdev1\", \"destination\": {\"driver\": \"vfio-pci\", \"host\": \"" + secondHost + "\"}}]}";
  }

  private static boolean portTaken(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return false;
    } catch (java.io.IOException inUse) {
      return true;
    }
  }

  private static String plan(String id, Path destinationQmp, int port) {
    return "{\"id\": \"" + id + "\", \"source\": {\"qmp\": \"/run/elsewhere/src.qmp\"},"
        + " \"destination\": {\"agent\": \"https://127.0.0.1:7443\", \"qmp\": \"" + destinationQmp + "\"},"
        + " \"uri\": \"tcp:127.0.0.1:" + port + "\", \"devices\": [{\"id\": \"hostnet1\"}]}";
  }

  private static String code(Reply r) throws Exception {
    return JSON.readTree(r.body()).path("error").path("code").asText();
  }

  record Reply(int status, String body) {}

  private static Reply post(Path socket, String path, String json) throws Exception {
    return json == null
        ? curl(socket, "-X", "POST", "http://ferry" + path)
        : curl(socket, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json,
            "http://ferry" + path);
  }

  private static Reply curl(Path socket, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-S", "--max-time", "120",
        "--unix-socket", socket.toString(), "-w", "\n%{http_code}"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    int cut = out.lastIndexOf('\n');
    return new Reply(Integer.parseInt(out.substring(cut + 1).trim()), out.substring(0, cut));
  }
}
