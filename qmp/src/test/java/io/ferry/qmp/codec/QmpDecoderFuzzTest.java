package io.ferry.qmp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.qmp.QmpProtocolException;
import io.ferry.testing.Fuzz;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the QMP decoder with QEMU-like frames (greetings, returns, errors, events with random ids,
 * data and timestamps), hostile frames (deep nesting, non-objects, frames over the cap) and
 * byte-level mutations of both, cut into random chunks. Properties: the decoder only ever fails
 * with a {@link QmpProtocolException}, and nothing comes out after it; how the bytes are cut never
 * changes what is decoded; frames that are well-formed QMP all decode. Time-budgeted: see {@link Fuzz}.
 */
class QmpDecoderFuzzTest {
  private static final int CAP = 4096;

  /** The bytes, where they are cut, and whether every frame in them is well-formed QMP. */
  record Input(byte[] bytes, int[] cuts, boolean wellFormed) {
    @Override
    public String toString() {
      return "cuts " + Arrays.toString(cuts) + " wellFormed " + wellFormed + " bytes "
          + new String(bytes, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
    }
  }

  /** What a decoder made of some bytes. */
  record Decoded(List<String> messages, Throwable failure) {}

  @Test
  void theDecoderFailsOnlyWithAProtocolErrorAndIsIndifferentToHowBytesArrive() {
    Fuzz.run("qmp-decoder", Fuzz.budget(), QmpDecoderFuzzTest::input, in -> {
      Decoded whole = decode(in.bytes(), new int[0]);
      Decoded cut = decode(in.bytes(), in.cuts());
      for (Decoded d : List.of(whole, cut)) {
        if (d.failure() != null) {
          assertThat(d.failure()).isInstanceOf(DecoderException.class)
              .hasCauseInstanceOf(QmpProtocolException.class);
        }
      }
      assertThat(cut.messages()).isEqualTo(whole.messages());
      assertThat(cut.failure() == null).isEqualTo(whole.failure() == null);
      if (in.wellFormed()) {
        assertThat(whole.failure()).isNull();
      }
    });
  }

  private static Decoded decode(byte[] bytes, int[] cuts) {
    EmbeddedChannel ch = new EmbeddedChannel(new QmpDecoder(CAP));
    List<String> messages = new ArrayList<>();
    Throwable failure = null;
    int from = 0;
    int[] ends = Arrays.copyOf(cuts, cuts.length + 1);
    ends[cuts.length] = bytes.length;
    for (int end : ends) {
      // Messages decoded in the same write as the failure, before it, are legitimate.
      Throwable earlier = failure;
      try {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, from, end - from));
      } catch (RuntimeException e) {
        assertThat(failure).as("a second failure after the first").isNull();
        failure = e;
      }
      for (Object m = ch.readInbound(); m != null; m = ch.readInbound()) {
        assertThat(earlier).as("a message after the failure: " + m).isNull();
        messages.add(String.valueOf(m));
      }
      from = end;
    }
    ch.finishAndReleaseAll();
    return new Decoded(messages, failure);
  }

  static Input input(Random r) {
    StringBuilder text = new StringBuilder();
    boolean wellFormed = true;
    int frames = 1 + r.nextInt(6);
    for (int i = 0; i < frames; i++) {
      if (r.nextInt(8) == 0) {
        text.append(hostileFrame(r));
        wellFormed = false;
      } else {
        text.append(frame(r));
      }
      text.append(r.nextBoolean() ? "\r\n" : "\n");
      if (r.nextInt(10) == 0) {
        text.append(Fuzz.oneOf(r, "\r\n", " \r\n", "\t\n"));
      }
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    if (r.nextInt(3) == 0) {
      bytes = Fuzz.mutate(r, bytes);
      wellFormed = false;
    }
    if (bytes.length > CAP) {
      wellFormed = false; // the frames together may exceed it only if one of them does; be safe
    }
    int[] cuts = r.ints(r.nextInt(6), 0, bytes.length + 1).sorted().toArray();
    return new Input(bytes, cuts, wellFormed);
  }

  private static String frame(Random r) {
    String id = Fuzz.oneOf(r, "", "\"id\": " + r.nextInt(1000) + ", ", "\"id\": \"s" + r.nextInt(9) + "\", ",
        "\"id\": null, ", "\"id\": {\"a\": [1]}, ", "\"id\": -1e300, ");
    return switch (r.nextInt(4)) {
      case 0 -> "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": " + value(r, 1) + ", \"minor\": 2, \"major\": "
          + Fuzz.oneOf(r, "7", "\"7\"", "null", "1e9") + "}, \"package\": " + value(r, 1)
          + "}, \"capabilities\": " + Fuzz.oneOf(r, "[\"oob\"]", "[]", "\"oob\"", "null", "[1, {}]") + "}}";
      case 1 -> "{" + id + "\"return\": " + value(r, 3) + "}";
      case 2 -> "{" + id + "\"error\": " + Fuzz.oneOf(r,
          "{\"class\": \"GenericError\", \"desc\": " + value(r, 1) + "}", "{}", "\"oops\"", "null", "[]") + "}";
      default -> "{\"timestamp\": " + Fuzz.oneOf(r, "{\"seconds\": 1795734950, \"microseconds\": 688760}",
          "{\"seconds\": \"x\"}", "{}", "7", "null") + ", \"event\": " + Fuzz.oneOf(r, "\"DEVICE_DELETED\"",
          "\"MIGRATION\"", "\"MIGRATION_PASS\"", "\"STOP\"", "\"RESUME\"", "\"SHUTDOWN\"", "\"UNPLUG_PRIMARY\"",
          "\"FAILOVER_NEGOTIATED\"", "\"X_CUSTOM\"", "5", "null", "{}")
          + (r.nextBoolean() ? ", \"data\": " + data(r) : "") + "}";
    };
  }

  private static String data(Random r) {
    return Fuzz.oneOf(r, "{\"device\": " + value(r, 1) + ", \"path\": \"/machine/peripheral/n\"}",
        "{\"status\": " + value(r, 1) + "}", "{\"pass\": " + value(r, 1) + "}",
        "{\"guest\": " + value(r, 1) + ", \"reason\": \"host-qmp-quit\"}", "{\"device-id\": " + value(r, 1) + "}",
        value(r, 3), "null", "[]", "7", "\"s\"");
  }

  private static String value(Random r, int depth) {
    int kind = depth <= 0 ? r.nextInt(6) : r.nextInt(8);
    return switch (kind) {
      case 0 -> Integer.toString(r.nextInt());
      case 1 -> "\"" + Fuzz.oneOf(r, "", "x", "\\u0000", "\\\"q\\\"", "é", "\\ud800") + "\"";
      case 2 -> Fuzz.oneOf(r, "true", "false", "null");
      case 3 -> Fuzz.oneOf(r, "1e308", "-0", "0.5", "123456789012345678901234567890");
      case 4 -> "{}";
      case 5 -> "[]";
      case 6 -> {
        StringBuilder o = new StringBuilder("{");
        for (int i = r.nextInt(4); i > 0; i--) {
          o.append("\"k").append(i).append("\": ").append(value(r, depth - 1)).append(i > 1 ? ", " : "");
        }
        yield o.append('}').toString();
      }
      default -> {
        StringBuilder a = new StringBuilder("[");
        for (int i = r.nextInt(4); i > 0; i--) {
          a.append(value(r, depth - 1)).append(i > 1 ? ", " : "");
        }
        yield a.append(']').toString();
      }
    };
  }

  private static String hostileFrame(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> "[".repeat(100 + r.nextInt(200)) + "]".repeat(r.nextInt(300));
      case 1 -> "{\"return\": " + "{\"a\": ".repeat(120 + r.nextInt(20)) + "1" + "}".repeat(140) + "}";
      case 2 -> Fuzz.oneOf(r, "5", "\"x\"", "[]", "null", "true", "{\"what\": 1}", "{", "}", "\u0000\u0000");
      case 3 -> "{\"return\": \"" + "x".repeat(CAP + r.nextInt(100)) + "\"}";
      case 4 -> "{\"return\": 1}{\"return\": 2}";
      default -> new String(randomBytes(r), StandardCharsets.ISO_8859_1).replace("\n", "");
    };
  }

  private static byte[] randomBytes(Random r) {
    byte[] b = new byte[r.nextInt(64)];
    r.nextBytes(b);
    return b;
  }
}
