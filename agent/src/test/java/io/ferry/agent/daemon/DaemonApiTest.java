package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's API over a real unix socket, called with curl. */
class DaemonApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VALID_PLAN = """
      {"id": "m-valid", "source": {"qmp": "/nonexistent/src.qmp"},
       "destination": {"qmp": "/nonexistent/dst.qmp"}, "uri": "unix:/nonexistent/mig.sock"}
      """;

  @TempDir Path dir;
  private EventBus bus;
  private ExecutorService blocking;
  private DaemonCore core;
  private FakeHost host;
  private DaemonServer server;
  private Curl curl;

  @BeforeEach
  void start() throws Exception {
    bus = new EventBus();
    blocking = Executors.newCachedThreadPool();
    host = new FakeHost(dir);
    core = new DaemonCore(bus, host.devices, blocking);
    server = DaemonServer.start(dir.resolve("run/ferry.sock"), core, PeerPolicy.withDefaults(List.of()));
    curl = new Curl(server.socket());
  }

  @AfterEach
  void stop() {
    server.close();
    bus.close();
    blocking.shutdown();
    host.close();
  }

  private static JsonNode json(Curl.Reply r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static void assertError(Curl.Reply r, int status, String code) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    JsonNode error = json(r).get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).isNotBlank();
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void theSocketIsMode0660AndHealthzAnswers() throws Exception {
    assertThat(Files.getPosixFilePermissions(server.socket()))
        .isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
    Curl.Reply r = curl.get("/healthz");
    assertThat(r.status()).isEqualTo(200);
    assertThat(json(r).get("status").asText()).isEqualTo("ok");
  }

  @Test
  void badJsonIsA400WithTheStableCodeAndTheDaemonGoesOn() throws Exception {
    assertError(curl.post("/v1/migrations", "{\"id\": "), 400, "invalid_plan");
    assertError(curl.post("/v1/migrations", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["), 400, "invalid_plan");
    assertThat(curl.get("/healthz").status()).isEqualTo(200);
  }

  @Test
  void everyPlanProblemIsListedWithItsPathIncludingUnknownFields() throws Exception {
    Curl.Reply r = curl.post("/v1/migrations", "{\"id\":\"x\",\"colour\":\"blue\",\"uri\":\"tcp:h:99999\"}");
    assertError(r, 400, "invalid_plan");
    List<String> paths = new ArrayList<>();
    json(r).get("error").get("problems").forEach(p -> paths.add(p.get("path").asText()));
    assertThat(paths).contains("$.colour", "$.uri", "$.source", "$.destination");
  }

  @Test
  void anOversizedBodyIsA413BeforeItIsRead() throws Exception {
    Path big = dir.resolve("big.json");
    Files.write(big, new byte[RequestParser.MAX_BODY_BYTES + 1]);
    Curl.Reply withContinue = curl.run(List.of(), "/v1/migrations", "-X", "POST",
        "-H", "Content-Type: application/json", "--data-binary", "@" + big);
    assertError(withContinue, 413, "body_too_large");
    Curl.Reply withoutContinue = curl.run(List.of(), "/v1/migrations", "-X", "POST", "-H", "Expect:",
        "-H", "Content-Type: application/json", "--data-binary", "@" + big);
    assertError(withoutContinue, 413, "body_too_large");
    Curl.Reply chunked = curl.run(List.of(), "/v1/migrations", "-X", "POST", "-H", "Expect:",
        "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/json", "--data-binary", "@" + big);
    assertError(chunked, 413, "body_too_large");
    assertThat(curl.get("/healthz").status()).isEqualTo(200);
  }

  /** Regression (found by ApiFuzzTest): a bad percent-escape in the path was a 500 internal_error. */
  @Test
  void aMalformedPercentEscapeInThePathIsA400() throws Exception {
    assertError(curl.get("/%"), 400, "bad_request");
    assertError(curl.get("/v1/migrations/%zz"), 400, "bad_request");
    assertThat(curl.get("/healthz").status()).isEqualTo(200);
  }

  /** Regression (found by ApiFuzzTest): Netty answered an unknown Expect with an empty 417. */
  @Test
  void anUnsupportedExpectationIsA417JsonErrorAndTheDaemonGoesOn() throws Exception {
    Curl.Reply r = curl.run(List.of(), "/v1/migrations", "-X", "POST", "-H", "Expect: 100-coÿntinue",
        "-H", "Content-Type: application/json", "--data-binary", VALID_PLAN);
    assertError(r, 417, "expectation_failed");
    assertThat(curl.get("/v1/migrations").body().trim()).isEqualTo("[]");
    assertThat(curl.get("/healthz").status()).isEqualTo(200);
  }

  @Test
  void unknownIdsAre404AndUnknownEndpointsAndMethodsAreRefused() throws Exception {
    assertError(curl.get("/v1/migrations/nope"), 404, "unknown_migration");
    assertError(curl.run(List.of(), "/v1/migrations/nope/cancel", "-X", "POST"), 404, "unknown_migration");
    assertError(curl.get("/v1/migrations/nope/events"), 404, "unknown_migration");
    assertError(curl.get("/v2/whatever"), 404, "not_found");
    assertError(curl.run(List.of(), "/healthz", "-X", "DELETE"), 405, "method_not_allowed");
    assertError(curl.run(List.of(), "/v1/migrations", "-X", "POST", "-H", "Content-Type: text/plain",
        "--data-binary", "x"), 415, "unsupported_media_type");
  }

  @Test
  void aMigrationIsAcceptedListedAndEndsWithAResultEvenWhenItsQemuIsMissing() throws Exception {
    Curl.Reply accepted = curl.post("/v1/migrations", VALID_PLAN);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    assertThat(json(accepted).get("id").asText()).isEqualTo("m-valid");
    assertError(curl.post("/v1/migrations", VALID_PLAN), 409, "duplicate_id");

    // Its own stream ends after the result (the QEMUs do not exist: preflight fails it).
    Curl.Reply events = curl.get("/v1/migrations/m-valid/events");
    List<MigrationEvent> stream = events.body().lines().map(EventJson::fromLine).toList();
    assertThat(stream).isNotEmpty();
    assertThat(stream.get(stream.size() - 1).phase()).isEqualTo(Phase.DONE);
    for (int i = 0; i < stream.size(); i++) {
      assertThat(stream.get(i).seq()).isEqualTo(i);
    }

    JsonNode one = json(curl.get("/v1/migrations/m-valid"));
    assertThat(one.get("state").asText()).isEqualTo("finished");
    assertThat(one.get("result").asText()).isIn("FAILED", "ROLLED_BACK");
    JsonNode all = json(curl.get("/v1/migrations"));
    assertThat(all).hasSize(1);
    assertThat(all.get(0).get("id").asText()).isEqualTo("m-valid");
    // A finished view is encoded once and served from then on: the same in the list, and again.
    assertThat(all.get(0)).isEqualTo(one);
    assertThat(json(curl.get("/v1/migrations/m-valid"))).isEqualTo(one);
    assertError(curl.run(List.of(), "/v1/migrations/m-valid/cancel", "-X", "POST"), 409, "already_finished");
    assertThat(curl.get("/metrics").body()).contains("ferry_migrations_total{result=\"" + one.get("result").asText() + "\"} 1");
  }

  @Test
  void aLateSubscriberGetsTheHistoryAsNdjsonThenTheStreamEnds() throws Exception {
    bus.publish(Events.started("m1", 0, Phase.PREFLIGHT));
    bus.publish(Events.started("m1", 1, Phase.UNPLUG));
    bus.publish(Events.result("m1", 2));
    Curl.Reply r = curl.get("/v1/migrations/m1/events", "-i");
    assertThat(r.status()).isEqualTo(200);
    String[] headAndBody = r.body().split("\r\n\r\n", 2);
    assertThat(headAndBody[0].toLowerCase()).contains("content-type: application/x-ndjson")
        .contains("transfer-encoding: chunked");
    List<String> lines = headAndBody[1].lines().toList();
    assertThat(lines).hasSize(3);
    for (int i = 0; i < 3; i++) {
      MigrationEvent e = EventJson.fromLine(lines.get(i));
      assertThat(e.seq()).isEqualTo(i);
      assertThat(e.migration()).isEqualTo("m1");
    }
  }

  @Test
  void serverSentEventsFrameEachEventWithIdEventAndData() throws Exception {
    bus.publish(Events.started("m2", 0, Phase.PREFLIGHT));
    bus.publish(Events.result("m2", 1));
    Curl.Reply r = curl.get("/v1/migrations/m2/events", "-i", "-H", "Accept: text/event-stream");
    String[] headAndBody = r.body().split("\r\n\r\n", 2);
    assertThat(headAndBody[0].toLowerCase()).contains("content-type: text/event-stream");
    String[] frames = headAndBody[1].split("\n\n");
    assertThat(frames).as(r.body()).hasSize(2);
    assertThat(frames[0]).startsWith("id: m2/0\nevent: started\ndata: {");
    assertThat(frames[1]).startsWith("id: m2/1\nevent: result\ndata: {");
    assertThat(EventJson.fromLine(frames[1].split("data: ", 2)[1]).phase()).isEqualTo(Phase.DONE);
  }

  @Test
  void theAllEventsStreamGivesHistoryThenLiveEventsWithoutAGap() throws Exception {
    bus.publish(Events.started("m3", 0, Phase.PREFLIGHT));
    Process p = curl.stream("/v1/events");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(EventJson.fromLine(in.readLine()).seq()).isEqualTo(0); // history: now subscribed
      assertThat(curl.get("/metrics").body()).contains("ferry_event_subscribers 1");
      bus.publish(Events.started("m3", 1, Phase.UNPLUG));
      bus.publish(Events.started("m4", 0, Phase.PREFLIGHT));
      assertThat(EventJson.fromLine(in.readLine()).seq()).isEqualTo(1);
      MigrationEvent other = EventJson.fromLine(in.readLine());
      assertThat(other.migration()).isEqualTo("m4");
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  @Test
  void metricsAreInThePrometheusTextFormat() throws Exception {
    Curl.Reply r = curl.get("/metrics", "-i");
    assertThat(r.status()).isEqualTo(200);
    String[] headAndBody = r.body().split("\r\n\r\n", 2);
    assertThat(headAndBody[0].toLowerCase()).contains("content-type: text/plain; version=0.0.4");
    Set<String> typed = new java.util.HashSet<>();
    for (String line : headAndBody[1].lines().toList()) {
      if (line.startsWith("# TYPE ")) {
        typed.add(line.split(" ")[2]);
      } else if (!line.startsWith("# HELP ")) {
        assertThat(line).matches("[a-z_]+(\\{([a-z_]+=\"[^\"]*\",?)+\\})? -?[0-9.eE+-]+");
      }
    }
    assertThat(typed).contains("ferry_migrations_total", "ferry_migrations_running",
        "ferry_phase_duration_seconds", "ferry_downtime_seconds", "ferry_event_subscribers");
    assertThat(headAndBody[1]).contains("ferry_downtime_seconds_bucket{le=\"+Inf\"} 0")
        .contains("ferry_phase_duration_seconds_count{phase=\"MIGRATE\"} 0");
  }

  @Test
  void devicesAreListedAsJson() throws Exception {
    Curl.Reply r = curl.get("/v1/devices");
    assertThat(r.status()).isEqualTo(200);
    assertThat(json(r).get(0).get("address").asText()).isEqualTo(FakeHost.NIC);
    assertThat(json(r).get(0).get("driver").asText()).isEqualTo("igb");
  }

  @Test
  void aCallerWhoseUidIsNotAllowedGets403() throws Exception {
    // Let nobody reach the socket at all, so the refusal comes from the SO_PEERCRED check.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(server.socket().getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(server.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
    Curl.Reply r = curl.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), "/healthz");
    assertError(r, 403, "forbidden");
    assertThat(json(r).get("error").get("message").asText()).contains("65534");
    assertThat(curl.get("/healthz").status()).isEqualTo(200);
  }

  @Test
  void afterDrainNewMigrationsAreRefusedWith503() throws Exception {
    core.drain(Duration.ofSeconds(5)).get();
    assertError(curl.post("/v1/migrations", VALID_PLAN), 503, "shutting_down");
    assertThat(json(curl.get("/healthz")).get("status").asText()).isEqualTo("stopping");
  }

  @Test
  void aLateSubscriberThatReadsGetsAHistoryLargerThanTheBufferLimitWhole() throws Exception {
    // 40 events of 64 KiB: 2.5 MiB of history, over the 1 MiB a stream may have unsent.
    String bulk = "y".repeat(64 * 1024);
    for (int seq = 0; seq < 40; seq++) {
      bus.publish(new MigrationEvent("big", seq, Phase.MIGRATE, io.ferry.agent.event.EventKind.PROGRESS,
          java.util.Optional.empty(), java.time.Instant.now(), System.nanoTime(), java.util.Optional.empty(),
          Map.of("bulk", bulk)));
    }
    Process p = curl.stream("/v1/migrations/big/events");
    try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (int seq = 0; seq < 40; seq++) {
        String line = reader.readLine();
        assertThat(line).as("event " + seq).isNotNull();
        assertThat(EventJson.fromLine(line).seq()).isEqualTo(seq);
      }
      assertThat(curl.get("/metrics").body()).contains("ferry_event_subscribers 1");
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  @Test
  void aClientThatDoesNotReadIsDroppedWithANoticeAndPublishingNeverWaits() throws Exception {
    Process p = curl.stream("/v1/events");
    try {
      bus.publish(Events.started("slow", 0, Phase.PREFLIGHT));
      // Wait until subscribed (the first event is read), then stop reading.
      int first = p.getInputStream().read();
      assertThat(first).isEqualTo('{');
      String bulk = "x".repeat(64 * 1024);
      for (int seq = 1; seq <= 400; seq++) {
        bus.publish(new MigrationEvent("slow", seq, Phase.MIGRATE, io.ferry.agent.event.EventKind.PROGRESS,
            java.util.Optional.empty(), java.time.Instant.now(), System.nanoTime(), java.util.Optional.empty(),
            Map.of("bulk", bulk)));
      }
      // The client still reads nothing: once it has taken nothing for the stall limit, the daemon
      // drops it (the publishing above did not wait for that).
      long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!curl.get("/metrics").body().contains("ferry_event_subscribers_dropped_total 1")) {
        assertThat(System.nanoTime()).as("dropped within 30 s").isLessThan(giveUp);
        Thread.sleep(100);
      }
      // Now read everything: the daemon ended the stream after a gap-free prefix and the notice.
      List<String> lines = ("{" + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).lines().toList();
      JsonNode notice = JSON.readTree(lines.get(lines.size() - 1)).get("error");
      assertThat(notice.get("code").asText()).isEqualTo("subscriber_dropped");
      List<String> events = lines.subList(0, lines.size() - 1);
      assertThat(events.size()).isLessThan(401);
      for (int i = 0; i < events.size(); i++) {
        assertThat(EventJson.fromLine(events.get(i)).seq()).isEqualTo(i);
      }
      assertThat(notice.get("firstMissedSeq").asLong()).isEqualTo(events.size());
      assertThat(curl.get("/metrics").body()).contains("ferry_event_subscribers 0");
    } finally {
      p.destroy();
      p.waitFor();
    }
  }

  @Test
  void aSecondDaemonOnALiveSocketIsRefusedAndAStaleSocketFileIsReplaced() throws Exception {
    assertThatThrownBy(() -> DaemonServer.start(server.socket(), core, PeerPolicy.withDefaults(List.of())))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining("another daemon");
    assertThat(curl.get("/healthz").status()).isEqualTo(200);

    Path stale = dir.resolve("stale.sock");
    try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(java.net.UnixDomainSocketAddress.of(stale)); // closing leaves the file behind
    }
    try (DaemonServer second = DaemonServer.start(stale, core, PeerPolicy.withDefaults(List.of()))) {
      assertThat(new Curl(second.socket()).get("/healthz").status()).isEqualTo(200);
    }
    Path notASocket = Files.writeString(dir.resolve("file.sock"), "data");
    assertThatThrownBy(() -> DaemonServer.start(notASocket, core, PeerPolicy.withDefaults(List.of())))
        .hasMessageContaining("not a socket");
    assertThat(Files.readString(notASocket)).isEqualTo("data");
  }

  @Test
  void theStreamOfAFinishedMigrationWhoseEventsTheBusForgotIs410NotAHang() throws Exception {
    try (EventBus small = new EventBus(EventBus.DEFAULT_QUEUE_CAPACITY, 1, null)) {
      DaemonCore forgetful = new DaemonCore(small, host.devices, blocking);
      try (DaemonServer s = DaemonServer.start(dir.resolve("small.sock"), forgetful, PeerPolicy.withDefaults(List.of()))) {
        Curl c = new Curl(s.socket());
        assertThat(c.post("/v1/migrations", VALID_PLAN).status()).isEqualTo(202);
        c.get("/v1/migrations/m-valid/events"); // to its result
        assertThat(c.post("/v1/migrations", VALID_PLAN.replace("m-valid", "m-next")).status()).isEqualTo(202);
        c.get("/v1/migrations/m-next/events"); // its history pushes m-valid's out of the bus
        assertError(c.get("/v1/migrations/m-valid/events"), 410, "events_forgotten");
        assertThat(json(c.get("/v1/migrations/m-valid")).get("state").asText()).isEqualTo("finished");
      }
    }
  }
}
