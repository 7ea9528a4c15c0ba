package io.ferry.nativetests.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.ResultDetail;
import io.ferry.agent.journal.FileMigrationJournal;
import io.ferry.agent.journal.InFlightMigration;
import io.ferry.agent.journal.JournalReplay;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.Hotplug;
import io.ferry.nativetests.DaemonCurl;
import io.ferry.nativetests.Prerequisites;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kill -9 of {@code ferry serve} (its own process, from the shaded jar) in each phase of a lab
 * migration it runs, then a restart on the same state directory: the new daemon replays the
 * journal, looks at both QEMUs and finishes the rollback or the commit.
 *
 * <p>Where the kill lands, honestly: PREFLIGHT, REPLUG and COMMIT last milliseconds, so the
 * daemon runs with {@code --journal-slow-phase} for that phase (each journal record of the phase,
 * after the one entering it, is reported durable 60 s after its fsync, as on very slow storage):
 * it is killed after entering the phase, while it waits for its next record (PREFLIGHT: during or
 * after the checks, before any unplug; REPLUG: the stream is complete, the destination paused,
 * its device_add not sent (its intent record may or may not be written yet); COMMIT: the device
 * is plugged on the paused destination, the cont intent written, cont not sent). UNPLUG is
 * stretched by the guest itself (native PCIe hotplug: the guest takes about 6 s to release the
 * NIC) and the kill lands right after device_del; MIGRATE by a 4 MiB/s bandwidth cap, and the kill
 * lands once a progress event shows the stream active. Each case checks the journal and both
 * QEMUs right after the kill to show which instant was hit.
 */
@ExtendWith(NoLeftoverQemu.class)
class CrashRecoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DAEMON_START = Duration.ofSeconds(60);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path workDir;

  @ParameterizedTest(name = "killed in {0}")
  @EnumSource(value = Phase.class, names = {"PREFLIGHT", "UNPLUG", "MIGRATE", "REPLUG", "COMMIT"})
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aDaemonKilledInThisPhaseFinishesTheMigrationOnRestart(Phase phase) throws Exception {
    Prerequisites.requireProgram("curl", "apt-get install -y curl");
    String id = "crash-" + phase.name().toLowerCase();
    Path stateDir = workDir.resolve("state");
    Path socket = workDir.resolve("ferry.sock");
    try (MigrationLab lab = MigrationLab.start(workDir, phase.name().toLowerCase(),
        b -> phase == Phase.UNPLUG ? b.hotplug(Hotplug.NATIVE) : b, List.of(MigrationLab.nic(1)))) {

      // 1. The daemon starts the migration; the stream shows the phase; kill -9.
      List<String> seen;
      try (DaemonProcess daemon = DaemonProcess.start(socket, stateDir, workDir.resolve("daemon-1.log"), slowOption(phase))) {
        daemon.awaitLine(Pattern.compile("serving on"), DAEMON_START).join();
        String accepted = DaemonCurl.body(socket, "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", plan(lab, id, phase), "http://ferry/v1/migrations");
        assertThat(JSON.readTree(accepted).path("id").asText()).as(accepted).isEqualTo(id);
        seen = followUntil(socket, id, killPoint(phase));
        daemon.kill9();
      }

      // 2. The instant hit: the journal's last phase, and both QEMUs as the dead daemon left them.
      List<InFlightMigration> inFlight =
          JournalReplay.replay(FileMigrationJournal.records(stateDir.resolve("migrations.journal"))).inFlight();
      assertThat(inFlight).as(String.join("\n", seen)).singleElement()
          .satisfies(m -> assertThat(m.lastPhase()).isEqualTo(phase));
      checkInstantHit(phase, inFlight.get(0), lab);

      // 3. A new daemon on the same state directory settles it.
      try (DaemonProcess daemon = DaemonProcess.start(socket, stateDir, workDir.resolve("daemon-2.log"))) {
        daemon.awaitLine(Pattern.compile("recovery started for 1 migration"), DAEMON_START).join();
        List<MigrationEvent> events = DaemonCurl.body(socket, "-N", "http://ferry/v1/migrations/" + id + "/events")
            .lines().map(EventJson::fromLine).toList();
        MigrationEvent last = events.get(events.size() - 1);
        assertThat(last.kind()).as(daemon.output()).isEqualTo(EventKind.RESULT);
        // Kept for the README and for a reader who wants to see what the restart did.
        String name = "target/crash-" + phase.name().toLowerCase();
        Files.copy(stateDir.resolve("migrations.journal"), Path.of(name + "-journal.ndjson"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(Path.of(name + "-recovered-events.ndjson"),
            String.join("\n", events.stream().map(EventJson::toLine).toList()) + "\n");
        assertThat(events).anyMatch(e -> "recovery-started".equals(e.detail().get("step")));
        boolean committed = phase == Phase.REPLUG || phase == Phase.COMMIT;
        String expected = committed ? "SUCCEEDED" : "ROLLED_BACK";
        assertThat(ResultDetail.of(last).result().name()).as(EventJson.toLine(last)).isEqualTo(expected);

        JsonNode listed = null;
        for (JsonNode m : JSON.readTree(DaemonCurl.body(socket, "http://ferry/v1/migrations"))) {
          if (m.path("id").asText().equals(id)) {
            listed = m;
          }
        }
        assertThat(listed).as("GET /v1/migrations lists %s", id).isNotNull();
        Files.writeString(Path.of(name + "-listed.json"), listed.toString() + "\n");
        assertThat(listed.path("recovered").asBoolean()).as(listed.toString()).isTrue();
        assertThat(listed.path("result").asText()).isEqualTo(expected);
        assertThat(JournalReplay.replay(FileMigrationJournal.records(stateDir.resolve("migrations.journal"))).inFlight())
            .as("the journal closes the migration with its result").isEmpty();

        // 4. End state on both QEMUs, and the guest still beating where it runs.
        HeartbeatSide runsOn;
        if (committed) {
          assertThat(lab.destination().queryStatus().join().status()).isEqualTo("running");
          assertThat(lab.pciIds(lab.destination())).contains("hostnet1");
          assertThat(lab.source().queryStatus().join().status()).isEqualTo("postmigrate");
          runsOn = HeartbeatSide.DESTINATION;
        } else {
          assertThat(lab.source().queryStatus().join().status()).isEqualTo("running");
          assertThat(lab.pciIds(lab.source())).contains("hostnet1");
          if (phase == Phase.MIGRATE) {
            assertThat(lab.pair.destination().onExit())
                .as("the destination, given part of the stream, was quit")
                .succeedsWithin(Duration.ofSeconds(30));
          } else {
            assertThat(lab.destination().queryStatus().join().status())
                .as("the destination never got the stream and is left waiting").isEqualTo("inmigrate");
          }
          runsOn = HeartbeatSide.SOURCE;
        }
        long beats = lab.heartbeat.count(runsOn);
        lab.heartbeat.awaitCount(runsOn, beats + 100, MigrationLab.BOOT).join();
        if (!committed) {
          assertThat(lab.heartbeat.count(HeartbeatSide.DESTINATION)).as("the guest never ran on the destination").isZero();
        }
      }
    }
  }

  private static String[] slowOption(Phase phase) {
    return switch (phase) {
      case PREFLIGHT, REPLUG, COMMIT -> new String[] {"--journal-slow-phase", phase.name() + "=60s"};
      default -> new String[0];
    };
  }

  private static Predicate<MigrationEvent> killPoint(Phase phase) {
    return switch (phase) {
      case UNPLUG -> e -> e.phase() == Phase.UNPLUG && e.device().isPresent()
          && "unplug-requested".equals(e.detail().get("step"));
      case MIGRATE -> e -> e.phase() == Phase.MIGRATE && e.kind() == EventKind.PROGRESS
          && "active".equals(e.detail().get("status"));
      default -> e -> e.phase() == phase && e.kind() == EventKind.STARTED && e.device().isEmpty();
    };
  }

  /** What the journal and the QEMUs show right after the kill, per phase. */
  private static void checkInstantHit(Phase phase, InFlightMigration m, MigrationLab lab) {
    String sourceStatus = lab.source().queryStatus().join().status();
    switch (phase) {
      case PREFLIGHT -> {
        assertThat(m.unplugRequested()).as("no device_del yet").isEmpty();
        assertThat(sourceStatus).isEqualTo("running");
        assertThat(lab.pciIds(lab.source())).contains("hostnet1");
        assertThat(lab.destination().queryStatus().join().status()).isEqualTo("inmigrate");
      }
      case UNPLUG -> {
        assertThat(m.unplugRequested()).containsExactly("hostnet1");
        assertThat(m.migrateStarted()).isFalse();
        assertThat(sourceStatus).isEqualTo("running");
      }
      case MIGRATE -> {
        assertThat(m.migrateStarted()).isTrue();
        assertThat(lab.source().queryMigrate().join().status()).as("the stream outlives the daemon").isEqualTo("active");
      }
      case REPLUG -> {
        assertThat(m.contSent()).isFalse();
        assertThat(sourceStatus).isEqualTo("postmigrate");
        assertThat(lab.destination().queryMigrate().join().status()).isEqualTo("completed");
        assertThat(lab.destination().queryStatus().join().running()).isFalse();
        assertThat(lab.pciIds(lab.destination())).as("killed before the device_add went out").doesNotContain("hostnet1");
      }
      case COMMIT -> {
        assertThat(m.committed()).isFalse();
        assertThat(sourceStatus).isEqualTo("postmigrate");
        assertThat(lab.destination().queryStatus().join().running()).as("killed before cont").isFalse();
        assertThat(lab.pciIds(lab.destination())).as("REPLUG was done").contains("hostnet1");
      }
      default -> throw new IllegalArgumentException(phase.name());
    }
  }

  private static String plan(MigrationLab lab, String id, Phase phase) {
    String parameters = phase == Phase.MIGRATE
        ? ",\n \"migration\": {\"parameters\": {\"max-bandwidth\": 4194304}}"
        : "";
    return "{\"id\": \"" + id + "\",\n"
        + " \"source\": {\"qmp\": \"" + lab.pair.source().agentQmpSocket() + "\"},\n"
        + " \"destination\": {\"qmp\": \"" + lab.pair.destination().agentQmpSocket() + "\"},\n"
        + " \"uri\": \"" + lab.pair.migrationUri() + "\",\n"
        + " \"devices\": [{\"id\": \"hostnet1\"}],\n"
        + " \"timeouts\": {\"unplug\": \"30s\", \"migration\": \"3m\", \"replug\": \"30s\"}"
        + parameters + "}\n";
  }

  /** Reads the migration's event stream up to the first event matching {@code when}. */
  static List<String> followUntil(Path socket, String id, Predicate<MigrationEvent> when) throws Exception {
    Process curl = new ProcessBuilder("curl", "-s", "-S", "-N", "--max-time", "180", "--unix-socket",
        socket.toString(), "http://ferry/v1/migrations/" + id + "/events")
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<String> seen = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(curl.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        seen.add(line);
        MigrationEvent event = EventJson.fromLine(line);
        assertThat(event.kind()).as("the migration ended before the kill point:\n" + String.join("\n", seen))
            .isNotEqualTo(EventKind.RESULT);
        if (when.test(event)) {
          return seen;
        }
      }
    } finally {
      curl.destroyForcibly();
    }
    throw new AssertionError("the stream ended before the kill point:\n" + String.join("\n", seen));
  }
}
