package io.ferry.nativetests.twohosts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import io.ferry.qmp.PciDeviceInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
  private static final Duration MIGRATION = Duration.ofSeconds(240);
  private static final String MAC = "52:54:00:00:00:11";
  private static final String STANDBY = "virtio-net-pci,id=standby0,bus=rp1,mac=" + MAC + ",failover=on,romfile=";
  private static final String PRIMARY =
      "e1000e,id=hostdev0,bus=rp2,mac=" + MAC + ",failover_pair_id=standby0,romfile=";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @Test
  void theSourceDaemonMigratesTheGuestToTheOtherHostThroughThePeerDaemonOverMutualTls() throws Exception {
    try (TwoHostLab lab = TwoHostLab.start(workDir, "two", MAC,
        b -> b.device("e1000e,id=hostnet1,bus=rp1,mac=" + MAC + ",romfile="), b -> b)) {
      String id = "two-hosts-" + ProcessHandle.current().pid();
      Migrated run = migrate(lab, id, " \"devices\": [{\"id\": \"hostnet1\"}]");
      List<MigrationEvent> src = run.sourceEvents();
      List<MigrationEvent> dst = run.destinationEvents();
      // The source daemon's stream: the whole state machine, with the peer steps in it.
      assertThat(phasesStarted(src)).containsSubsequence(
          Phase.PREFLIGHT, Phase.UNPLUG, Phase.MIGRATE, Phase.REPLUG, Phase.COMMIT, Phase.CLEANUP);
      assertThat(phasesStarted(src)).doesNotContain(Phase.ROLLBACK);
      assertThat(steps(src)).contains("incoming-requested", "incoming-prepared");
      // Both namespaces share one kernel clock: the estimated offset must be 0 within its bound.
      MigrationEvent clock = src.stream().filter(e -> "destination-clock".equals(e.detail().get("step")))
          .findFirst().orElseThrow(() -> new AssertionError("no destination-clock step: " + run.source().text()));
      long offsetUs = ((Number) clock.detail().get("offsetUs")).longValue();
      long uncertaintyUs = ((Number) clock.detail().get("uncertaintyUs")).longValue();
      assertThat(Math.abs(offsetUs)).as(clock.detail().toString()).isLessThanOrEqualTo(uncertaintyUs + 1);
      assertThat(src).anyMatch(e -> e.device().equals(Optional.of("hostnet1"))
          && "plugged".equals(e.detail().get("step")) && "destination".equals(e.detail().get("side")));

      // The destination daemon's stream: prepare, load, plug, commit, with its own QEMU's events.
      assertThat(phasesStarted(dst)).containsSubsequence(Phase.PREFLIGHT, Phase.MIGRATE, Phase.REPLUG, Phase.COMMIT);
      assertThat(dst).anyMatch(e -> qemuEvent(e, "RESUME"));
      assertThat(dst).anyMatch(e -> qemuEvent(e, "MIGRATION") && "completed".equals(e.detail().get("status")));
      assertThat(dst).anyMatch(e -> e.device().equals(Optional.of("hostnet1"))
          && "plugged".equals(e.detail().get("step")));

      // The guest runs on the other host now, with its NIC, and its heartbeat goes on there.
      assertGuestMoved(lab, "hostnet1", run);

      JsonNode view = JSON.readTree(DaemonCurl.body(lab.sourceDaemon.socket, "http://ferry/v1/migrations/" + id));
      assertThat(view.path("result").asText()).isEqualTo("SUCCEEDED");
      assertThat(view.path("destinationAgent").asText()).isEqualTo(lab.agentUrl());
      assertThat(view.path("role").asText()).isEqualTo("outgoing");
      JsonNode incoming = JSON.readTree(
          DaemonCurl.body(lab.destinationDaemon.socket, "http://ferry/v1/migrations/" + id));
      assertThat(incoming.path("role").asText()).as(incoming.toString()).isEqualTo("incoming");
      assertThat(incoming.path("state").asText()).isEqualTo("committed");
      assertThat(incoming.path("result").asText()).isEqualTo("SUCCEEDED");
      assertThat(src).as("no lease trouble on the way").noneMatch(e -> e.kind() == EventKind.WARNING
          && String.valueOf(e.detail().get("message")).contains("lease"));
      Files.writeString(Path.of("target", "ferry-two-hosts-source.ndjson"), run.source().text());
      Files.writeString(Path.of("target", "ferry-two-hosts-destination.ndjson"), run.destination().text());
    }
  }

  /**
   * QEMU-native failover across hosts: both QEMUs hold the standby virtio-net and the hidden
   * primary. The source QEMU unplugs the primary itself; the destination daemon checks the
   * standby, loads the stream, commits, and reports when its QEMU negotiated the standby (which
   * plugs the primary); the source daemon takes that as the primary's return.
   */
  @Test
  void aFailoverMigrationCrossesHostsAndTheDestinationPlugsThePrimaryOnNegotiation() throws Exception {
    try (TwoHostLab lab = TwoHostLab.start(workDir, "twofo", MAC,
        b -> b.device(STANDBY).device(PRIMARY), b -> b.device(STANDBY).device(PRIMARY))) {
      String id = "two-hosts-failover-" + ProcessHandle.current().pid();
      Migrated run = migrate(lab, id, " \"mode\": \"failover\",\n \"devices\": [{\"id\": \"hostdev0\"}]");
      List<MigrationEvent> src = run.sourceEvents();
      List<MigrationEvent> dst = run.destinationEvents();
      assertThat(src).as("the source QEMU unplugged the primary itself")
          .anyMatch(e -> qemuEvent(e, "UNPLUG_PRIMARY"));
      assertThat(src).noneMatch(e -> "unplug-requested".equals(e.detail().get("step")));
      assertThat(phasesStarted(src)).containsSubsequence(
          Phase.PREFLIGHT, Phase.UNPLUG, Phase.MIGRATE, Phase.COMMIT, Phase.REPLUG, Phase.CLEANUP);
      // The destination saw its QEMU negotiate the standby and reported when.
      assertThat(dst).anyMatch(e -> qemuEvent(e, "FAILOVER_NEGOTIATED"));
      MigrationEvent negotiated = dst.stream()
          .filter(e -> "failover-negotiated".equals(e.detail().get("step")))
          .findFirst().orElseThrow(() -> new AssertionError("no failover-negotiated: " + run.destination().text()));
      assertThat(negotiated.device()).contains("hostdev0");
      assertThat(negotiated.detail()).containsEntry("standby", "standby0");
      assertThat(dst).noneMatch(e -> "plug-requested".equals(e.detail().get("step")));
      MigrationEvent result = src.get(src.size() - 1);
      assertThat(ResultDetail.of(result).figures().deviceAbsenceUs()).as(run.source().text())
          .containsKey("hostdev0");

      // The guest runs on host-b with the standby and the primary QEMU plugged there.
      assertGuestMoved(lab, "standby0", run);
      assertThat(lab.destination.qmp().join().queryPci().join().stream().map(PciDeviceInfo::qdevId))
          .contains("hostdev0");
      Files.writeString(Path.of("target", "ferry-two-hosts-failover-source.ndjson"), run.source().text());
      Files.writeString(Path.of("target", "ferry-two-hosts-failover-destination.ndjson"), run.destination().text());
    }
  }

  /**
   * The destination QEMU holds the standby but no primary: QEMU there still reports
   * FAILOVER_NEGOTIATED, plugs nothing and only warns. The destination daemon looks for the
   * primary, reports it missing in its commit answer, and both daemons end DEGRADED (the guest
   * runs on host-b on the standby virtio-net), naming it.
   */
  @Test
  void aFailoverDestinationWithoutThePrimaryEndsDegradedOnBothHosts() throws Exception {
    try (TwoHostLab lab = TwoHostLab.start(workDir, "twonp", MAC,
        b -> b.device(STANDBY).device(PRIMARY), b -> b.device(STANDBY))) {
      String id = "two-hosts-no-primary-" + ProcessHandle.current().pid();
      Migrated run = migrate(lab, id, " \"mode\": \"failover\",\n \"devices\": [{\"id\": \"hostdev0\"}]",
          Result.DEGRADED);
      MigrationEvent missing = run.destinationEvents().stream()
          .filter(e -> "failover-missing".equals(e.detail().get("step")))
          .findFirst().orElseThrow(() -> new AssertionError("no failover-missing: " + run.destination().text()));
      assertThat(missing.device()).contains("hostdev0");
      assertThat(String.valueOf(missing.detail().get("error"))).contains("plugged no hostdev0");
      List<MigrationEvent> src = run.sourceEvents();
      assertThat(ResultDetail.of(src.get(src.size() - 1)).reason()).hasValueSatisfying(r -> assertThat(r).contains("hostdev0"));
      // The guest runs on host-b on its standby alone: no NIC appears there, the heartbeat goes on.
      assertThat(lab.destination.qmp().join().queryStatus().join().running()).isTrue();
      assertThat(lab.source.qmp().join().queryStatus().join().status()).isEqualTo("postmigrate");
      assertThat(lab.destination.qmp().join().queryPci().join().stream().map(PciDeviceInfo::qdevId))
          .contains("standby0").doesNotContain("hostdev0");
      lab.heartbeat.awaitCount(HeartbeatSide.DESTINATION, run.destinationBeatsBefore() + 50, TwoHostLab.BOOT).join();
    }
  }

  /** A migration both daemons reported SUCCEEDED, with what was seen of the destination before it. */
  private record Migrated(EventFollower source, EventFollower destination, int destinationLines,
      long destinationBeatsBefore) {
    List<MigrationEvent> sourceEvents() {
      return source.events();
    }

    List<MigrationEvent> destinationEvents() {
      return destination.events();
    }
  }

  /**
   * Follows migration {@code id} on both daemons, posts the plan (with {@code planFields}) to the
   * source daemon, and waits for both daemons' results, asserting SUCCEEDED.
   */
  private static Migrated migrate(TwoHostLab lab, String id, String planFields) throws Exception {
    return migrate(lab, id, planFields, Result.SUCCEEDED);
  }

  private static Migrated migrate(TwoHostLab lab, String id, String planFields, Result expected) throws Exception {
    EventFollower source = lab.follow(lab.sourceDaemon, id);
    EventFollower destination = lab.follow(lab.destinationDaemon, id);
    Migrated run = new Migrated(source, destination, lab.destination.consoleLineCount(),
        lab.heartbeat.count(HeartbeatSide.DESTINATION));
    String accepted = DaemonCurl.body(lab.sourceDaemon.socket, "-X", "POST", "-H", "Content-Type: application/json",
        "--data-binary", lab.plan(id, planFields), "http://ferry/v1/migrations");
    assertThat(JSON.readTree(accepted).path("id").asText()).as(accepted).isEqualTo(id);
    ended(source, "source", expected);
    ended(destination, "destination", expected);
    return run;
  }

  private static void ended(EventFollower events, String side, Result expected) throws Exception {
    MigrationEvent result = events.result().get(MIGRATION.toSeconds(), TimeUnit.SECONDS);
    assertThat(ResultDetail.of(result).result()).as(side + ": " + events.text()).isEqualTo(expected);
  }

  private static void assertGuestMoved(TwoHostLab lab, String device, Migrated run) {
    assertThat(lab.destination.qmp().join().queryStatus().join().running()).isTrue();
    assertThat(lab.source.qmp().join().queryStatus().join().status()).isEqualTo("postmigrate");
    assertThat(lab.destination.qmp().join().queryPci().join().stream().map(PciDeviceInfo::qdevId))
        .contains(device);
    lab.heartbeat.awaitCount(HeartbeatSide.DESTINATION, run.destinationBeatsBefore() + 50, TwoHostLab.BOOT).join();
    lab.destination.awaitConsole(Pattern.compile("FERRY-NICS: .*" + Pattern.quote(MAC)), TwoHostLab.BOOT,
        run.destinationLines()).join();
  }

  private static boolean qemuEvent(MigrationEvent e, String name) {
    return e.kind() == EventKind.QEMU && e.qemu().isPresent() && e.qemu().get().event().equals(name);
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
}
