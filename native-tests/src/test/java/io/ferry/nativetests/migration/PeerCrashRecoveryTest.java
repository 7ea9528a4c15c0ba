package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.ApiAction;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.TlsFiles;
import io.ferry.agent.daemon.TlsListener;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPki;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.Prerequisites;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.vfio.VfioDevices;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kill -9 of the source's {@code ferry serve} (its own process) during a migration to a peer agent
 * (a destination daemon in this JVM, over mutual TLS on 127.0.0.1), then a restart on the same
 * state directory: the new source daemon asks the peer where its incoming migration stands and
 * settles both sides from the answer.
 *
 * <ul>
 *   <li>In MIGRATE (the stream active, capped at 4 MiB/s): the peer is listening, not committed;
 *       the restart aborts it there (its QEMU, given part of the stream, is quit) and rolls the
 *       source back: the guest keeps running on the source with its NIC.
 *   <li>In COMMIT, before the commit call ({@code --journal-slow-phase COMMIT=60s} holds the
 *       daemon on its commit intent): the stream is complete, the source paused, the NIC plugged
 *       on the paused peer. Not committed there, so the same: abort on the peer, the source
 *       resumed with its NIC back.
 *   <li>After the peer committed ({@code --journal-slow-step committed=60s} holds the daemon on
 *       the record of its commit): the peer answers committed; the restart ends SUCCEEDED and
 *       touches nothing: the guest runs on the destination with its NIC, the source stays in
 *       postmigrate.
 * </ul>
 */
@ExtendWith(NoLeftoverQemu.class)
class PeerCrashRecoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DAEMON_START = Duration.ofSeconds(60);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  /** Where the source daemon is killed, and what the restart must make of it. */
  enum KillPoint {
    MIGRATE(new String[0], "listening", "ROLLED_BACK"),
    COMMIT(new String[] {"--journal-slow-phase", "COMMIT=60s"}, "plugged", "ROLLED_BACK"),
    AFTER_COMMIT(new String[] {"--journal-slow-step", "committed=60s"}, "committed", "SUCCEEDED");

    final String[] slow;
    final String peerStateAtKill;
    final String result;

    KillPoint(String[] slow, String peerStateAtKill, String result) {
      this.slow = slow;
      this.peerStateAtKill = peerStateAtKill;
      this.result = result;
    }

    boolean reached(MigrationEvent e) {
      return switch (this) {
        case MIGRATE -> e.phase() == Phase.MIGRATE && e.kind() == EventKind.PROGRESS && "active".equals(e.detail().get("status"));
        case COMMIT -> e.phase() == Phase.COMMIT && e.kind() == EventKind.STARTED;
        // Reported once the peer's commit answer is in: the peer runs the guest from then on.
        case AFTER_COMMIT -> "destination-clock".equals(e.detail().get("step"));
      };
    }
  }

  @ParameterizedTest(name = "killed {0}")
  @EnumSource(KillPoint.class)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aSourceDaemonKilledMidMigrationSettlesBothSidesFromThePeersAnswerOnRestart(KillPoint kill) throws Exception {
    Prerequisites.requireProgram("curl", "apt-get install -y curl");
    String id = "peer-crash-" + kill.name().toLowerCase().replace('_', '-');
    Path stateDir = workDir.resolve("state");
    Path socket = workDir.resolve("ferry.sock");
    LabPki ca = LabPki.create(workDir.resolve("pki"), "ferry-peer-crash-ca");
    TlsFiles sourceTls = ca.issue("source", List.of("127.0.0.1"));
    TlsFiles destinationTls = ca.issue("destination", List.of("127.0.0.1"));
    List<String> options = new ArrayList<>(List.of("--tls-cert", sourceTls.certificate().toString(),
        "--tls-key", sourceTls.privateKey().toString(), "--tls-ca", sourceTls.authority().toString()));
    ExecutorService blocking = Executors.newCachedThreadPool();
    try (MigrationLab lab = MigrationLab.start(workDir, "peercrash", b -> b, List.of(MigrationLab.nic(1)));
        EventBus destinationBus = new EventBus()) {
      DaemonCore destinationCore = new DaemonCore(destinationBus,
          VfioDevices.forHost(workDir.resolve("b-devices.journal")), blocking);
      try (TlsListener peerPort = TlsListener.start(new InetSocketAddress("127.0.0.1", 0), destinationCore, destinationTls)) {
        String plan = plan(lab, id, peerPort.address().getPort(), kill == KillPoint.MIGRATE);

        // 1. The source daemon starts the migration; at the kill point, kill -9.
        List<String> firstRun = new ArrayList<>(options);
        firstRun.addAll(List.of(kill.slow));
        try (DaemonProcess daemon = DaemonProcess.start(socket, stateDir, workDir.resolve("daemon-1.log"),
            firstRun.toArray(String[]::new))) {
          daemon.awaitLine(Pattern.compile("serving on"), DAEMON_START).join();
          String accepted = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
              "--data-binary", plan, "http://ferry/v1/migrations");
          assertThat(JSON.readTree(accepted).path("id").asText()).as(accepted).isEqualTo(id);
          CrashRecoveryTest.followUntil(socket, id, kill::reached);
          daemon.kill9();
        }
        JsonNode before = incoming(destinationCore, id);
        assertThat(before.path("state").asText()).as(before.toString()).isEqualTo(kill.peerStateAtKill);
        if (kill == KillPoint.MIGRATE) {
          assertThat(lab.source().queryMigrate().join().status()).as("the stream outlives the daemon").isEqualTo("active");
        } else {
          assertThat(lab.source().queryStatus().join().status()).isEqualTo("postmigrate");
        }

        // 2. A new source daemon on the same state directory asks the peer and settles it.
        try (DaemonProcess daemon = DaemonProcess.start(socket, stateDir, workDir.resolve("daemon-2.log"),
            options.toArray(String[]::new))) {
          daemon.awaitLine(Pattern.compile("recovery started for 1 migration"), DAEMON_START).join();
          List<MigrationEvent> events = DaemonCurl.body(socket, "-N", "http://ferry/v1/migrations/" + id + "/events")
              .lines().map(EventJson::fromLine).toList();
          MigrationEvent last = events.get(events.size() - 1);
          assertThat(last.kind()).as(daemon.output()).isEqualTo(EventKind.RESULT);
          assertThat(ResultDetail.of(last).result().name()).as(EventJson.toLine(last)).isEqualTo(kill.result);
          assertThat(events).anyMatch(e -> "recovery-started".equals(e.detail().get("step"))
              && e.detail().get("destination").toString().contains("incoming=" + kill.peerStateAtKill));
          if (kill.result.equals("ROLLED_BACK")) {
            assertThat(events).anyMatch(e -> e.phase() == Phase.ROLLBACK && "abort-destination".equals(e.detail().get("step")));
          } else {
            assertThat(events).noneMatch(e -> e.phase() == Phase.ROLLBACK);
          }
        }

        // 3. Both sides as the peer's answer says, and the guest beating where it runs.
        JsonNode after = incoming(destinationCore, id);
        HeartbeatSide runsOn;
        if (kill.result.equals("ROLLED_BACK")) {
          assertThat(after.path("state").asText()).as(after.toString()).isEqualTo("aborted");
          assertThat(lab.pair.destination().onExit()).as("the destination, given part or all of the stream, was quit")
              .succeedsWithin(Duration.ofSeconds(30));
          assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
          assertThat(lab.pciIds(lab.source())).contains("hostnet1");
          runsOn = HeartbeatSide.SOURCE;
        } else {
          assertThat(after.path("state").asText()).as(after.toString()).isEqualTo("committed");
          assertThat(lab.destination().queryStatus().join().status()).isEqualTo("running");
          assertThat(lab.pciIds(lab.destination())).contains("hostnet1");
          assertThat(lab.source().queryStatus().join().status()).as("left as it was").isEqualTo("postmigrate");
          runsOn = HeartbeatSide.DESTINATION;
        }
        long beats = lab.heartbeat.count(runsOn);
        lab.heartbeat.awaitCount(runsOn, beats + 100, MigrationLab.BOOT).join();
        if (runsOn == HeartbeatSide.SOURCE) {
          assertThat(lab.heartbeat.count(HeartbeatSide.DESTINATION)).as("the guest never ran on the destination").isZero();
        }
      }
    } finally {
      blocking.shutdown();
    }
  }

  /** The destination daemon's view of its incoming migration (what GET /v1/migrations/{id} answers). */
  private static JsonNode incoming(DaemonCore destination, String id) throws Exception {
    return JSON.valueToTree(destination.handle(new ApiAction.GetMigration(id)).get(30, TimeUnit.SECONDS).json());
  }

  private static String plan(MigrationLab lab, String id, int peerPort, boolean slowStream) throws Exception {
    int streamPort;
    try (ServerSocket free = new ServerSocket(0)) {
      streamPort = free.getLocalPort();
    }
    // 4 MiB/s: the stream of the 256 MiB guest lasts long enough for the kill to land in it.
    String parameters = slowStream ? "{\"max-bandwidth\": 4194304}" : "{}";
    return "{\"id\": \"" + id + "\",\n"
        + " \"source\": {\"qmp\": \"" + lab.pair.source().agentQmpSocket() + "\"},\n"
        + " \"destination\": {\"agent\": \"https://127.0.0.1:" + peerPort + "\",\n"
        + "                 \"qmp\": \"" + lab.pair.destination().agentQmpSocket() + "\"},\n"
        + " \"uri\": \"tcp:127.0.0.1:" + streamPort + "\",\n"
        + " \"devices\": [{\"id\": \"hostnet1\"}],\n"
        + " \"timeouts\": {\"unplug\": \"30s\", \"migration\": \"3m\", \"replug\": \"30s\"},\n"
        + " \"migration\": {\"parameters\": " + parameters + "}}\n";
  }
}
