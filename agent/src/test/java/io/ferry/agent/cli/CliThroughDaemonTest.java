package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.DaemonServer;
import io.ferry.agent.daemon.FakeHost;
import io.ferry.agent.daemon.PeerPolicy;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDiscovery;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ferry migrate|events|devices} with a daemon started in this JVM on a temporary socket
 * (its devices are the vfio fake kernel's, not this machine's, so a test can tell which path ran).
 */
class CliThroughDaemonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private EventBus bus;
  private ExecutorService blocking;
  private FakeHost host;
  private DaemonServer server;
  private String socket;

  private record Run(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    bus = new EventBus();
    blocking = Executors.newCachedThreadPool();
    host = new FakeHost(dir);
    server = DaemonServer.start(dir.resolve("ferry.sock"), new DaemonCore(bus, host.devices, blocking),
        PeerPolicy.withDefaults(List.of()));
    socket = server.socket().toString();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    bus.close();
    blocking.shutdown();
    host.close();
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FerryMain.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private String driver() throws Exception {
    return new PciDiscovery(host.kernel).driver(PciAddress.parse(FakeHost.NIC)).orElse("(none)");
  }

  private Path plan(String id) throws Exception {
    return Files.writeString(dir.resolve(id + ".json"), """
        {"id": "%s", "source": {"qmp": "%s"}, "destination": {"qmp": "%s"}, "uri": "unix:%s"}
        """.formatted(id, dir.resolve("none/src.qmp"), dir.resolve("none/dst.qmp"), dir.resolve("none/mig.sock")));
  }

  @Test
  void devicesListsTheDaemonsDevicesAsJsonAndAsATable() throws Exception {
    Run json = run("devices", "--socket", socket, "--json");
    assertThat(json.exit()).as(json.err()).isZero();
    JsonNode devices = JSON.readTree(json.out());
    assertThat(devices).hasSize(1);
    assertThat(devices.get(0).get("address").asText()).isEqualTo(FakeHost.NIC);

    Run table = run("devices", "--socket", socket);
    assertThat(table.exit()).isZero();
    assertThat(table.out().split("\n")).hasSize(2);
    assertThat(table.out()).contains("0000:00:01.0  8086:10c9 0200   igb").contains("enp0s1(");
  }

  @Test
  void prepareAndReleaseGoThroughTheDaemonAndItsJournal() throws Exception {
    Run prepared = run("devices", "prepare", "--socket", socket, FakeHost.NIC);
    assertThat(prepared.exit()).as(prepared.err()).isZero();
    assertThat(prepared.out()).contains("  driver_override set to vfio-pci")
        .contains("prepared 0000:00:01.0: vfio-pci, /dev/vfio/7, was igb");
    assertThat(driver()).isEqualTo("vfio-pci");
    assertThat(Files.readString(host.journal)).contains(FakeHost.NIC);

    Run again = run("devices", "prepare", "--socket", socket, FakeHost.NIC);
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("ferry devices prepare:").contains("already prepared").contains("device_refused");

    Run released = run("devices", "release", "--socket", socket, FakeHost.NIC);
    assertThat(released.exit()).as(released.err()).isZero();
    assertThat(released.out()).contains("released 0000:00:01.0: igb");
    assertThat(driver()).isEqualTo("igb");
  }

  @Test
  void prepareSendsTheVfSettingsAndTheDaemonRefusesThemForANonVf() throws Exception {
    Run r = run("devices", "prepare", "--socket", socket, "--vlan", "100", FakeHost.NIC);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("not an SR-IOV VF");
    assertThat(host.kernel.writeLog()).isEmpty();
  }

  @Test
  void migrateSendsThePlanToTheDaemonAndExitsWithItsResult() throws Exception {
    Run r = run("migrate", "--socket", socket, plan("via-daemon").toString());
    // The daemon ran it: it knows the migration, and its result decides the exit code.
    JsonNode view = JSON.readTree(new DaemonClient(server.socket()).get("/v1/migrations/via-daemon").body());
    assertThat(view.get("state").asText()).isEqualTo("finished");
    Result result = Result.valueOf(view.get("result").asText());
    assertThat(result).isNotEqualTo(Result.SUCCEEDED); // its monitors do not exist
    assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.of(result));
    assertThat(r.out()).contains("PREFLIGHT").contains("RESULT " + result);
  }

  @Test
  void anInvalidPlanIsRefusedByTheDaemonWithEveryProblemAndExit2() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"id\":\"x\",\"colour\":\"blue\"}");
    Run r = run("migrate", "--socket", socket, bad.toString());
    assertThat(r.exit()).isEqualTo(ExitCodes.INVALID);
    assertThat(r.err()).contains("invalid plan").contains("$.colour").contains("$.source");
    Run duplicate = run("migrate", "--socket", socket, plan("twice").toString());
    Run second = run("migrate", "--socket", socket, plan("twice").toString());
    assertThat(duplicate.exit()).isNotEqualTo(ExitCodes.INVALID);
    assertThat(second.exit()).isEqualTo(ExitCodes.INVALID);
    assertThat(second.err()).contains("duplicate_id");
  }

  @Test
  void eventsOfOneMigrationReplayItsHistoryToTheResultWithItsExitCode() throws Exception {
    Run migrated = run("migrate", "--socket", socket, plan("m1").toString());
    Run text = run("events", "--socket", socket, "m1");
    assertThat(text.exit()).isEqualTo(migrated.exit());
    assertThat(text.out()).contains("PREFLIGHT").contains("RESULT");

    Run ndjson = run("events", "--socket", socket, "--output", "ndjson", "m1");
    List<MigrationEvent> events = ndjson.out().lines().map(EventJson::fromLine).toList();
    assertThat(events.get(0).seq()).isZero();
    assertThat(events.get(events.size() - 1).kind()).isEqualTo(EventKind.RESULT);

    Run unknown = run("events", "--socket", socket, "nope");
    assertThat(unknown.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(unknown.err()).contains("unknown_migration");
  }

  @Test
  void eventsWithoutAnIdFollowsEveryMigrationUntilTheDaemonStops() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FerryMain.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    CompletableFuture<Integer> following = CompletableFuture.supplyAsync(() -> cli.execute("events", "--socket", socket));
    // The stream's subscription shows in the metrics once the command is connected.
    DaemonClient client = new DaemonClient(server.socket());
    await().atMost(Duration.ofSeconds(30)).until(() -> client.get("/metrics").body().contains("ferry_event_subscribers 1"));
    bus.publish(new MigrationEvent("a", 0, Phase.PREFLIGHT, EventKind.STARTED, Optional.empty(),
        Instant.now(), System.nanoTime(), Optional.empty(), Map.of()));
    bus.publish(new MigrationEvent("b", 0, Phase.PREFLIGHT, EventKind.STARTED, Optional.empty(),
        Instant.now(), System.nanoTime(), Optional.empty(), Map.of()));
    await().atMost(Duration.ofSeconds(30)).until(() -> out.toString().lines().anyMatch(l -> l.startsWith("b  ")));
    assertThat(following).isNotDone(); // a stream of every migration goes on...
    server.close(); // ...until the daemon stops
    server = null;
    assertThat(following.get(30, TimeUnit.SECONDS)).as(err.toString()).isZero();
    assertThat(out.toString().lines()).anyMatch(l -> l.startsWith("a  ") && l.contains("PREFLIGHT") && l.contains("started"));
  }

  @Test
  void eventsFromASavedFileNeedNoDaemon() throws Exception {
    Run migrated = run("migrate", "--socket", socket, "--output", "ndjson", plan("saved").toString());
    Path saved = Files.writeString(dir.resolve("saved.ndjson"), migrated.out());
    Run r = run("events", "--from", saved.toString(), "saved");
    assertThat(r.exit()).isEqualTo(migrated.exit());
    assertThat(r.out()).contains("RESULT");
    Run none = run("events", "--local");
    assertThat(none.exit()).isEqualTo(ExitCodes.ERROR);
    assertThat(none.err()).contains("--from FILE");
  }

  @Test
  void aSocketWhereNoDaemonAnswersIsAnErrorAndLocalExcludesSocket() {
    Run r = run("devices", "--socket", dir.resolve("nobody.sock").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no ferry daemon answers on");
    Run both = run("devices", "--local", "--socket", socket);
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("exclude each other");
  }

  @Test
  void withoutOptionsTheDefaultSocketIsUsedOnlyWhenADaemonAnswersThere() throws Exception {
    CommandLine cli = FerryMain.commandLine();
    DaemonOption none = new DaemonOption();
    assertThat(none.daemon(cli, server.socket())).get().extracting(DaemonClient::socket).isEqualTo(server.socket());
    assertThat(none.daemon(cli, dir.resolve("absent.sock"))).isEmpty();
    Path stale = dir.resolve("stale.sock");
    try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(java.net.UnixDomainSocketAddress.of(stale)); // closed: the file stays, nobody answers
    }
    assertThat(none.daemon(cli, stale)).isEmpty();
    DaemonOption local = new DaemonOption();
    local.local = true;
    assertThat(local.daemon(cli, server.socket())).isEmpty();
  }
}
