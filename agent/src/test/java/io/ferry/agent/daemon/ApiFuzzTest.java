package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventBus;
import io.ferry.testing.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the API's request handling: {@link RequestParser} directly, and the daemon's whole HTTP
 * pipeline (Netty's codec, the capped aggregator, {@link ApiHandler}, a real {@link DaemonCore} on
 * the vfio fake kernel) through an {@link EmbeddedChannel}, with generated requests (every
 * endpoint, odd methods, paths, headers, framings and bodies) and byte-level mutations of them.
 * Properties: only 4xx refusals with the JSON error body (stable code, message, no stack trace),
 * never a 500; a well-framed request always gets an answer. Time-budgeted: see {@link Fuzz}.
 */
class ApiFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Integer> REFUSALS = Set.of(400, 404, 405, 409, 410, 413, 415);

  @TempDir static Path dir;
  private static EventBus bus;
  private static FakeHost host;
  private static DaemonCore core;

  @BeforeAll
  static void daemon() throws Exception {
    bus = new EventBus();
    host = new FakeHost(dir);
    // Device work runs on the calling thread: the embedded channel's loop is the test thread.
    core = new DaemonCore(bus, host.devices, Runnable::run);
  }

  @AfterAll
  static void stop() {
    bus.close();
    host.close();
  }

  /** One request as bytes, and whether it is framed correctly (so it must be answered). */
  record Request(byte[] bytes, boolean wellFramed) {
    @Override
    public String toString() {
      return (wellFramed ? "well-framed " : "") + new String(bytes, StandardCharsets.ISO_8859_1)
          .replace("\r", "\\r").replace("\n", "\\n");
    }
  }

  /** Raw parser inputs. */
  record ParserInput(String method, String path, String contentType, String accept, byte[] body) {
    @Override
    public String toString() {
      return method + " " + path + " ct=" + contentType + " accept=" + accept + " body="
          + new String(body, StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void theParserAnswersEveryRequestWithAnActionOrARefusal() {
    Fuzz.run("api-request-parser", Fuzz.budget().dividedBy(4), r -> new ParserInput(
        method(r), path(r), Fuzz.oneOf(r, null, "application/json", "text/plain", "APPLICATION/JSON; x", ""),
        Fuzz.oneOf(r, null, "text/event-stream", "*/*", ""), body(r)), in -> {
          try {
            assertThat(RequestParser.parse(in.method(), in.path(), in.contentType(), in.accept(), in.body()))
                .isNotNull();
          } catch (ApiException refused) {
            assertThat(REFUSALS).contains(refused.status());
            assertThat(refused.code()).matches("[a-z_]+");
            assertThat(refused.getMessage()).isNotBlank();
          }
        });
  }

  @Test
  void theHttpPipelineOnlyEverRefusesWithAJsonErrorAndAnswersEveryWellFramedRequest() {
    Fuzz.run("api-http-pipeline", Fuzz.budget().multipliedBy(3).dividedBy(4), ApiFuzzTest::request, req -> {
      EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(),
          new CappedAggregator(RequestParser.MAX_BODY_BYTES), new ApiHandler(core, 0, true));
      try {
        ch.writeInbound(Unpooled.wrappedBuffer(req.bytes()));
        ch.runPendingTasks();
        ch.checkException();
        List<Response> responses = Response.parseAll(outbound(ch));
        if (req.wellFramed()) {
          assertThat(responses).as("an answer").anyMatch(resp -> resp.status() != 100);
        }
        for (Response resp : responses) {
          check(resp);
        }
      } finally {
        ch.finishAndReleaseAll();
      }
    });
  }

  private static void check(Response resp) throws AssertionError {
    assertThat(resp.status()).as(resp.toString()).isIn(100, 200, 202, 400, 404, 405, 409, 410, 413, 415, 417);
    if (resp.status() >= 400) {
      assertThat(resp.header("content-type")).isEqualTo("application/json");
      JsonNode error;
      try {
        error = JSON.readTree(resp.body()).get("error");
      } catch (Exception e) {
        throw new AssertionError("not a JSON error body: " + resp, e);
      }
      assertThat(error.get("code").asText()).matches("[a-z_]+");
      assertThat(error.get("message").asText()).isNotBlank();
      assertThat(resp.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  private static byte[] outbound(EmbeddedChannel ch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
      ByteBuf b = (ByteBuf) o;
      byte[] bytes = new byte[b.readableBytes()];
      b.readBytes(bytes);
      b.release();
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }

  // ------------------------------------------------------------------ generators

  static Request request(Random r) {
    byte[] body = r.nextInt(3) == 0 ? new byte[0] : body(r);
    StringBuilder head = new StringBuilder(method(r)).append(' ').append(path(r))
        .append(Fuzz.oneOf(r, "", "?x=1", "?a=%zz&b", "#frag")).append(" HTTP/1.1\r\nHost: ferry\r\n");
    if (r.nextBoolean()) {
      head.append("Content-Type: ").append(Fuzz.oneOf(r, "application/json", "text/plain",
          "application/json; charset=utf-8", "")).append("\r\n");
    }
    if (r.nextInt(4) == 0) {
      head.append("Accept: ").append(Fuzz.oneOf(r, "text/event-stream", "*/*")).append("\r\n");
    }
    if (r.nextInt(6) == 0) {
      head.append("Expect: 100-continue\r\n");
    }
    if (r.nextInt(4) == 0) {
      head.append("Connection: close\r\n");
    }
    boolean wellFramed = true;
    byte[] framedBody = body;
    switch (r.nextInt(6)) {
      case 0 -> { // chunked, correctly
        head.append("Transfer-Encoding: chunked\r\n");
        framedBody = chunked(body);
      }
      case 1 -> { // a length that lies
        head.append("Content-Length: ").append(Fuzz.oneOf(r, body.length + 5, Math.max(0, body.length - 3),
            RequestParser.MAX_BODY_BYTES + 1, -1)).append("\r\n");
        wellFramed = false;
      }
      default -> {
        if (body.length > 0 || r.nextBoolean()) {
          head.append("Content-Length: ").append(body.length).append("\r\n");
        }
      }
    }
    head.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(framedBody);
    byte[] bytes = out.toByteArray();
    if (r.nextInt(3) == 0) {
      bytes = Fuzz.mutate(r, bytes);
      wellFramed = false;
    }
    return new Request(bytes, wellFramed);
  }

  private static byte[] chunked(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += 7) {
      int n = Math.min(7, body.length - i);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, i, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static String method(Random r) {
    return Fuzz.oneOf(r, "GET", "GET", "POST", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "FOO", "get");
  }

  static String path(Random r) {
    String id = Fuzz.oneOf(r, "m1", "a.b-c", "", "..", "%2e%2e", "x".repeat(70), "é", "a%2Fb", "-x");
    String bdf = Fuzz.oneOf(r, FakeHost.NIC, "0000:05:00.0", "0000:00:1.0", "0000:00:01.8", "zzzz:00:01.0",
        "%2e%2e", "0000%3A00%3A01.0", "", "0000:00:01.0%0A", "ffff:ff:1f.7");
    return Fuzz.oneOf(r, "/healthz", "/metrics", "/v1/devices", "/v1/devices/", "/v1/events",
        "/v1/migrations", "/v1/migrations/", "/v1/migrations/" + id, "/v1/migrations/" + id + "/cancel",
        "/v1/migrations/" + id + "/events", "/v1/devices/" + bdf + "/" + Fuzz.oneOf(r, "prepare", "release", "x"),
        "/", "//v1//devices", "/v2/x", "*", "/v1/migrations/" + id + "/events/more", "/%00");
  }

  static byte[] body(Random r) {
    String text = Fuzz.oneOf(r,
        "{\"id\":\"f" + r.nextInt(1000) + "\",\"source\":{\"qmp\":\"/nonexistent/s.qmp\"},"
            + "\"destination\":{\"qmp\":\"/nonexistent/d.qmp\"},\"uri\":\"unix:/nonexistent/m.sock\"}",
        "{\"id\":\"x\",\"colour\":\"blue\"}",
        "{\"vlan\": " + Fuzz.oneOf(r, "1", "4096", "\"1\"", "1.5", "null") + "}",
        "{\"mac\": " + Fuzz.oneOf(r, "\"52:54:00:aa:bb:cc\"", "\"zz\"", "7") + ", \"trust\": true}",
        "{\"allowNoIommu\": " + Fuzz.oneOf(r, "true", "1") + "}",
        "[".repeat(200 + r.nextInt(2000)), "{\"a\":".repeat(100) + "1" + "}".repeat(100),
        "null", "[]", "\"s\"", "{}", "{\"id\":\"x\",\"id\":\"y\"}", "\u0000\uffff");
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return r.nextInt(3) == 0 ? Fuzz.mutate(r, bytes) : bytes;
  }

  // ------------------------------------------------------------------ responses

  /** One HTTP response read back from the channel's output. */
  record Response(int status, List<String> headers, String body) {
    String header(String name) {
      for (String h : headers) {
        int colon = h.indexOf(':');
        if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return h.substring(colon + 1).trim();
        }
      }
      return null;
    }

    /** Every response in {@code bytes}; a chunked stream is the last one (it goes on). */
    static List<Response> parseAll(byte[] bytes) {
      String all = new String(bytes, StandardCharsets.UTF_8);
      List<Response> out = new ArrayList<>();
      int at = 0;
      while (at < all.length()) {
        int headEnd = all.indexOf("\r\n\r\n", at);
        assertThat(headEnd).as("a complete response head in: " + all.substring(at)).isPositive();
        String[] lines = all.substring(at, headEnd).split("\r\n");
        assertThat(lines[0]).matches("HTTP/1\\.1 \\d{3} .*");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        List<String> headers = List.of(lines).subList(1, lines.length);
        Response head = new Response(status, headers, "");
        at = headEnd + 4;
        if ("chunked".equalsIgnoreCase(String.valueOf(head.header("transfer-encoding")))) {
          assertThat(status).isEqualTo(200);
          assertThat(head.header("content-type").toLowerCase(Locale.ROOT))
              .isIn("application/x-ndjson", "text/event-stream");
          out.add(head);
          return out;
        }
        int length = head.header("content-length") == null ? 0 : Integer.parseInt(head.header("content-length"));
        byte[] rest = all.substring(at).getBytes(StandardCharsets.UTF_8);
        assertThat(rest.length).as("the whole body").isGreaterThanOrEqualTo(length);
        String body = new String(rest, 0, length, StandardCharsets.UTF_8);
        out.add(new Response(status, headers, body));
        at += body.length();
      }
      return out;
    }
  }
}
