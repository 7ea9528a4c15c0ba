package io.ferry.nativetests.twohosts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.vfio.VfioDevices;
import io.ferry.agent.daemon.DaemonServer;
import io.ferry.agent.daemon.PeerPolicy;
import io.ferry.agent.daemon.TlsFiles;
import io.ferry.agent.daemon.TlsListener;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPair;
import io.ferry.agent.lab.LabPki;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.migration.HostDevices;
import io.ferry.agent.peer.PeerClient;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.qmp.PciDeviceInfo;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollback rules hold with a peer destination: two daemons (in this JVM, each with its own
 * bus) on 127.0.0.1 over mutual TLS; the destination cannot plug the mandatory NIC, so the source
 * rolls back before the commit, and its rollback aborts the peer, which quits the destination QEMU.
 */
@ExtendWith(NoLeftoverQemu.class)
class PeerRollbackTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final String MAC = "52:54:00:00:00:11";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void aPlugTheDestinationRefusesRollsBackToTheSourceAndAbortsThePeer() throws Exception {
    LabPki ca = LabPki.create(workDir.resolve("pki"), "ferry-rollback-ca");
    TlsFiles sourceTls = ca.issue("source", List.of("127.0.0.1"));
    TlsFiles destinationTls = ca.issue("destination", List.of("127.0.0.1"));
    ExecutorService blocking = Executors.newCachedThreadPool();
    LabVmBuilder machine = LabVm.builder("peer-rb", workDir, LabGuest.image()).rootPorts(2);
    try (LabPair pair = LabPair.start(machine, List.of("e1000e,id=hostnet1,bus=rp1,mac=" + MAC + ",romfile="));
        HeartbeatMonitor heartbeat = HeartbeatMonitor.connect(
            pair.source().heartbeatSocket(), pair.destination().heartbeatSocket());
        EventBus sourceBus = new EventBus();
        EventBus destinationBus = new EventBus();
        PeerClient peers = new PeerClient(sourceTls.clientContext());
        DaemonServer source = DaemonServer.start(workDir.resolve("a.sock"),
            new DaemonCore(sourceBus, VfioDevices.forHost(workDir.resolve("a-devices.journal")), blocking,
                MigrationJournal.NONE, HostDevices.none(), peers),
            PeerPolicy.withDefaults(List.of()))) {
      // The unix socket and the TLS port of one daemon share its core (and bus), as in ferry serve.
      DaemonCore destinationCore = new DaemonCore(destinationBus, VfioDevices.forHost(workDir.resolve("b-devices.journal")), blocking);
      try (DaemonServer destination = DaemonServer.start(workDir.resolve("b.sock"), destinationCore,
              PeerPolicy.withDefaults(List.of()));
          TlsListener peerPort = TlsListener.start(new InetSocketAddress("127.0.0.1", 0), destinationCore,
              destinationTls)) {
        pair.source().awaitConsole(Pattern.compile("FERRY-NICS: .*" + MAC), BOOT).join();
        heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();
        int streamPort;
        try (ServerSocket free = new ServerSocket(0)) {
          streamPort = free.getLocalPort();
        }
        // rp9 does not exist on the destination: its device_add fails, and the NIC is mandatory.
        String plan = "{\"id\": \"peer-rb\",\n"
            + " \"source\": {\"qmp\": \"" + pair.source().agentQmpSocket() + "\"},\n"
            + " \"destination\": {\"agent\": \"https://127.0.0.1:" + peerPort.address().getPort() + "\",\n"
            + "                 \"qmp\": \"" + pair.destination().agentQmpSocket() + "\"},\n"
            + " \"uri\": \"tcp:127.0.0.1:" + streamPort + "\",\n"
            + " \"devices\": [{\"id\": \"hostnet1\", \"destination\":"
            + " {\"driver\": \"e1000e\", \"bus\": \"rp9\", \"mac\": \"" + MAC + "\", \"romfile\": \"\"}}]}";

        String accepted = DaemonCurl.body(source.socket(), "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan, "http://ferry/v1/migrations");
        assertThat(JSON.readTree(accepted).path("id").asText()).as(accepted).isEqualTo("peer-rb");
        String sourceStream = DaemonCurl.body(source.socket(), "-N", "http://ferry/v1/migrations/peer-rb/events");
        String destinationStream = DaemonCurl.body(destination.socket(), "-N", "http://ferry/v1/migrations/peer-rb/events");

        List<MigrationEvent> src = sourceStream.lines().map(EventJson::fromLine).toList();
        List<MigrationEvent> dst = destinationStream.lines().map(EventJson::fromLine).toList();
        assertThat(ResultDetail.of(src.get(src.size() - 1)).result()).as(sourceStream).isEqualTo(Result.ROLLED_BACK);
        assertThat(src).anyMatch(e -> e.phase() == Phase.ROLLBACK && "abort-destination".equals(e.detail().get("step")));
        assertThat(src).noneMatch(e -> e.phase() == Phase.COMMIT);
        assertThat(ResultDetail.of(dst.get(dst.size() - 1)).result()).as(destinationStream)
            .isEqualTo(Result.ROLLED_BACK);
        assertThat(dst).anyMatch(e -> "plug-failed".equals(e.detail().get("step")));

        JsonNode view = JSON.readTree(DaemonCurl.body(source.socket(), "http://ferry/v1/migrations/peer-rb"));
        assertThat(view.path("result").asText()).isEqualTo("ROLLED_BACK");
        assertThat(view.path("role").asText()).isEqualTo("outgoing");
        // The destination daemon lists its side too, read right after its stream's result.
        JsonNode incoming = JSON.readTree(DaemonCurl.body(destination.socket(), "http://ferry/v1/migrations/peer-rb"));
        assertThat(incoming.path("role").asText()).as(incoming.toString()).isEqualTo("incoming");
        assertThat(incoming.path("state").asText()).isEqualTo("aborted");
        assertThat(incoming.path("phase").asText()).isEqualTo("DONE");
        assertThat(incoming.path("result").asText()).isEqualTo("ROLLED_BACK");
        assertThat(incoming.has("lease")).as("an ended incoming holds no lease").isFalse();
        // The destination QEMU was quit by the peer; the guest runs on the source with its NIC.
        assertThat(pair.destination().onExit().get(60, TimeUnit.SECONDS)).isNotNull();
        assertThat(pair.source().qmp().join().queryStatus().join().running()).isTrue();
        assertThat(pair.source().qmp().join().queryPci().join().stream().map(PciDeviceInfo::qdevId))
            .contains("hostnet1");
        long beats = heartbeat.count(HeartbeatSide.SOURCE);
        heartbeat.awaitCount(HeartbeatSide.SOURCE, beats + 50, BOOT).join();
      }
    } finally {
      blocking.shutdown();
    }
  }
}
