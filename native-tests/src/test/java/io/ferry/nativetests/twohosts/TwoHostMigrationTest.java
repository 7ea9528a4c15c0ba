package io.ferry.nativetests.twohosts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.TlsFiles;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPki;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.Prerequisites;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.qmp.PciDeviceInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts for real, on one machine: two network namespaces joined by a veth pair, a ferry
 * daemon and a QEMU in each. The plan is posted to the source daemon's unix socket; the source
 * daemon prepares, plugs and commits the destination through the destination daemon's peer
 * endpoints over mutual TLS, and QEMU streams the guest over TCP across the veth pair.
 */
@ExtendWith(NoLeftoverQemu.class)
class TwoHostMigrationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration MIGRATION = Duration.ofSeconds(240);
  private static final String MAC = "52:54:00:00:00:11";
  private static final int PEER_PORT = 7443;
  private static final int STREAM_PORT = 4444;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void theSourceDaemonMigratesTheGuestToTheOtherHostThroughThePeerDaemonOverMutualTls() throws Exception {
    Prerequisites.require(isRoot(), "root (to create network namespaces with ip netns)");
    Prerequisites.requireProgram("ip", "apt-get install -y iproute2");
    Prerequisites.requireProgram("openssl", "apt-get install -y openssl");
    Prerequisites.requireProgram("curl", "apt-get install -y curl");
    Prerequisites.requireProgram("setpriv", "apt-get install -y util-linux");

    try (NetnsPair hosts = NetnsPair.create()) {
      LabPki ca = LabPki.create(workDir.resolve("pki"), "ferry-two-hosts-ca");
      TlsFiles sourceTls = ca.issue("host-a", List.of(hosts.firstAddress));
      TlsFiles destinationTls = ca.issue("host-b", List.of(hosts.secondAddress));

      LabVmBuilder machine = LabVm.builder("two", workDir, LabGuest.image()).rootPorts(2);
      CompletableFuture<LabVm> sourceStart = machine.copy().name("two-src")
          .device("e1000e,id=hostnet1,bus=rp1,mac=" + MAC + ",romfile=")
          .launchPrefix(NetnsPair.exec(hosts.first)).startAsync();
      CompletableFuture<LabVm> destinationStart = machine.copy().name("two-dst").incoming(true)
          .launchPrefix(NetnsPair.exec(hosts.second)).startAsync();
      List<AutoCloseable> open = new ArrayList<>();
      try {
        LabVm source = sourceStart.join();
        open.add(source);
        LabVm destination = destinationStart.join();
        open.add(destination);
        HeartbeatMonitor heartbeat =
            HeartbeatMonitor.connect(source.heartbeatSocket(), destination.heartbeatSocket());
        open.add(heartbeat);
        source.awaitConsole(Pattern.compile("FERRY-NICS: .*" + MAC), BOOT).join();
        heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();

        DaemonProcess sourceDaemon = DaemonProcess.start("daemon-a", hosts.first, workDir, sourceTls, null);
        open.add(sourceDaemon);
        DaemonProcess destinationDaemon = DaemonProcess.start("daemon-b", hosts.second, workDir, destinationTls,
            hosts.secondAddress + ":" + PEER_PORT);
        open.add(destinationDaemon);

        String id = "two-hosts-" + ProcessHandle.current().pid();
        EventFollower sourceEvents = EventFollower.follow(sourceDaemon.socket, id);
        open.add(sourceEvents);
        EventFollower destinationEvents = EventFollower.follow(destinationDaemon.socket, id);
        open.add(destinationEvents);
        String plan = "{\"id\": \"" + id + "\",\n"
            + " \"source\": {\"qmp\": \"" + source.agentQmpSocket() + "\"},\n"
            + " \"destination\": {\"agent\": \"https://" + hosts.secondAddress + ":" + PEER_PORT + "\",\n"
            + "                 \"qmp\": \"" + destination.agentQmpSocket() + "\"},\n"
            + " \"uri\": \"tcp:" + hosts.secondAddress + ":" + STREAM_PORT + "\",\n"
            + " \"devices\": [{\"id\": \"hostnet1\"}]}\n";
        int destinationLines = destination.consoleLineCount();
        long destinationBeatsBefore = heartbeat.count(HeartbeatSide.DESTINATION);

        String accepted = DaemonCurl.body(sourceDaemon.socket, "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan, "http://ferry/v1/migrations");
        assertThat(JSON.readTree(accepted).path("id").asText()).as(accepted).isEqualTo(id);

        MigrationEvent sourceResult = sourceEvents.result().get(MIGRATION.toSeconds(), TimeUnit.SECONDS);
        MigrationEvent destinationResult = destinationEvents.result().get(60, TimeUnit.SECONDS);
        Files.writeString(workDir.resolve("source-events.ndjson"), sourceEvents.text());
        Files.writeString(workDir.resolve("destination-events.ndjson"), destinationEvents.text());
        assertThat(ResultDetail.of(sourceResult).result()).as(sourceEvents.text()).isEqualTo(Result.SUCCEEDED);
        assertThat(ResultDetail.of(destinationResult).result()).as(destinationEvents.text())
            .isEqualTo(Result.SUCCEEDED);

        // The source daemon's stream: the whole state machine, with the peer steps in it.
        List<MigrationEvent> src = sourceEvents.events();
        assertThat(phasesStarted(src)).containsSubsequence(
            Phase.PREFLIGHT, Phase.UNPLUG, Phase.MIGRATE, Phase.REPLUG, Phase.COMMIT, Phase.CLEANUP);
        assertThat(phasesStarted(src)).doesNotContain(Phase.ROLLBACK);
        assertThat(steps(src)).contains("incoming-requested", "incoming-prepared");
        // Both namespaces share one kernel clock: the estimated offset must be 0 within its bound.
        MigrationEvent clock = src.stream().filter(e -> "destination-clock".equals(e.detail().get("step")))
            .findFirst().orElseThrow(() -> new AssertionError("no destination-clock step: " + sourceEvents.text()));
        long offsetUs = ((Number) clock.detail().get("offsetUs")).longValue();
        long uncertaintyUs = ((Number) clock.detail().get("uncertaintyUs")).longValue();
        assertThat(Math.abs(offsetUs)).as(clock.detail().toString()).isLessThanOrEqualTo(uncertaintyUs + 1);
        assertThat(src).anyMatch(e -> e.device().equals(java.util.Optional.of("hostnet1"))
            && "plugged".equals(e.detail().get("step")) && "destination".equals(e.detail().get("side")));

        // The destination daemon's stream: prepare, load, plug, commit, with its own QEMU's events.
        List<MigrationEvent> dst = destinationEvents.events();
        assertThat(phasesStarted(dst)).containsSubsequence(Phase.PREFLIGHT, Phase.MIGRATE, Phase.REPLUG, Phase.COMMIT);
        assertThat(dst).anyMatch(e -> e.kind() == EventKind.QEMU && e.qemu().isPresent()
            && e.qemu().get().event().equals("RESUME"));
        assertThat(dst).anyMatch(e -> e.kind() == EventKind.QEMU && e.qemu().isPresent()
            && e.qemu().get().event().equals("MIGRATION") && "completed".equals(e.detail().get("status")));
        assertThat(dst).anyMatch(e -> e.device().equals(java.util.Optional.of("hostnet1"))
            && "plugged".equals(e.detail().get("step")));

        // The guest runs on the other host now, with its NIC, and its heartbeat goes on there.
        assertThat(destination.qmp().join().queryStatus().join().running()).isTrue();
        assertThat(source.qmp().join().queryStatus().join().status()).isEqualTo("postmigrate");
        assertThat(destination.qmp().join().queryPci().join().stream().map(PciDeviceInfo::qdevId))
            .contains("hostnet1");
        heartbeat.awaitCount(HeartbeatSide.DESTINATION, destinationBeatsBefore + 50, BOOT).join();
        destination.awaitConsole(Pattern.compile("FERRY-NICS: .*" + Pattern.quote(MAC)), BOOT, destinationLines)
            .join();

        JsonNode view = JSON.readTree(DaemonCurl.body(sourceDaemon.socket, "http://ferry/v1/migrations/" + id));
        assertThat(view.path("result").asText()).isEqualTo("SUCCEEDED");
        assertThat(view.path("destinationAgent").asText())
            .isEqualTo("https://" + hosts.secondAddress + ":" + PEER_PORT);
        assertThat(view.path("role").asText()).isEqualTo("outgoing");
        JsonNode incoming = JSON.readTree(DaemonCurl.body(destinationDaemon.socket, "http://ferry/v1/migrations/" + id));
        assertThat(incoming.path("role").asText()).as(incoming.toString()).isEqualTo("incoming");
        assertThat(incoming.path("state").asText()).isEqualTo("committed");
        assertThat(incoming.path("result").asText()).isEqualTo("SUCCEEDED");
        assertThat(src).as("no lease trouble on the way").noneMatch(e -> e.kind() == EventKind.WARNING
            && String.valueOf(e.detail().get("message")).contains("lease"));
        Files.writeString(Path.of("target", "ferry-two-hosts-source.ndjson"), sourceEvents.text());
        Files.writeString(Path.of("target", "ferry-two-hosts-destination.ndjson"), destinationEvents.text());
      } finally {
        closeAll(open);
        sourceStart.thenAccept(LabVm::close);
        destinationStart.thenAccept(LabVm::close);
        CompletableFuture.allOf(sourceStart, destinationStart).handle((v, e) -> null).join();
      }
    }
  }

  private static List<Phase> phasesStarted(List<MigrationEvent> events) {
    List<Phase> phases = new ArrayList<>();
    for (MigrationEvent e : events) {
      if (e.kind() == EventKind.STARTED && e.device().isEmpty() && !phases.contains(e.phase())) {
        phases.add(e.phase());
      }
    }
    return phases;
  }

  private static List<Object> steps(List<MigrationEvent> events) {
    return events.stream().map(e -> e.detail().get("step")).filter(s -> s != null).toList();
  }

  private static void closeAll(List<AutoCloseable> open) throws Exception {
    Exception first = null;
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static boolean isRoot() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
