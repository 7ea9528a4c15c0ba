package io.ferry.qmp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.qmp.DeviceDeleted;
import io.ferry.qmp.GenericEvent;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.QmpProtocolException;
import io.ferry.qmp.QmpTimestamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames as QEMU 7.2 writes them (copied from the recorded transcripts). */
class QmpDecoderTest {
  private static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7},"
          + " \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n";
  private static final String RETURN =
      "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}, \"id\": 2}\r\n";
  private static final String ERROR =
      "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'no-such-device' not found\"},"
          + " \"id\": 9}\r\n";
  private static final String IDLESS_ERROR =
      "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray ''\"}}\r\n";
  private static final String EVENT =
      "{\"timestamp\": {\"seconds\": 1795734950, \"microseconds\": 688760}, \"event\": \"MIGRATION\","
          + " \"data\": {\"status\": \"setup\"}}\r\n";

  private final EmbeddedChannel channel = new EmbeddedChannel(new QmpDecoder(64 * 1024));

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  private QmpMessage decodeOne(String frame) {
    channel.writeInbound(bytes(frame));
    QmpMessage message = channel.readInbound();
    assertThat((Object) channel.readInbound()).isNull();
    return message;
  }

  @Test
  void greetingCarriesVersionPackageAndCapabilities() {
    QmpMessage.Greeting g = (QmpMessage.Greeting) decodeOne(GREETING);
    assertThat(g.greeting().version()).isEqualTo("7.2.22");
    assertThat(g.greeting().pkg()).startsWith("Debian");
    assertThat(g.greeting().capabilities()).containsExactly("oob");
  }

  @Test
  void returnKeepsIdAndValue() {
    QmpMessage.Return r = (QmpMessage.Return) decodeOne(RETURN);
    assertThat(r.id().asLong()).isEqualTo(2);
    assertThat(r.value().path("status").asText()).isEqualTo("prelaunch");
  }

  @Test
  void errorKeepsIdClassAndDescription() {
    QmpMessage.Error e = (QmpMessage.Error) decodeOne(ERROR);
    assertThat(e.id().asLong()).isEqualTo(9);
    assertThat(e.errorClass()).isEqualTo("DeviceNotFound");
    assertThat(e.description()).isEqualTo("Device 'no-such-device' not found");
  }

  @Test
  void idlessErrorHasNullId() {
    QmpMessage.Error e = (QmpMessage.Error) decodeOne(IDLESS_ERROR);
    assertThat(e.id()).isNull();
    assertThat(e.errorClass()).isEqualTo("GenericError");
  }

  @Test
  void eventIsTypedAndKeepsQemuTimestamp() {
    QmpMessage.Event e = (QmpMessage.Event) decodeOne(EVENT);
    assertThat(e.event()).isInstanceOf(MigrationEvent.class);
    assertThat(((MigrationEvent) e.event()).status()).isEqualTo("setup");
    assertThat(e.event().timestamp()).isEqualTo(new QmpTimestamp(1795734950, 688760));
    assertThat(e.event().timestamp().epochMicros()).isEqualTo(1795734950_688760L);
  }

  @Test
  void eventWithoutDataGetsAnEmptyObjectAndUnknownNamesStayGeneric() {
    QmpMessage.Event e =
        (QmpMessage.Event)
            decodeOne("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"NEW_THING\"}\n");
    assertThat(e.event()).isInstanceOf(GenericEvent.class);
    assertThat(e.event().name()).isEqualTo("NEW_THING");
    assertThat(e.event().data().isObject()).isTrue();
    assertThat(e.event().data().size()).isZero();
  }

  @Test
  void frameSplitIntoSingleBytesDecodesOnceComplete() {
    byte[] all = (EVENT + RETURN).getBytes(StandardCharsets.UTF_8);
    for (byte b : all) {
      channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
    }
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Event.class);
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Return.class);
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void mergedFramesInOneReadDecodeInOrder() {
    channel.writeInbound(bytes(GREETING + EVENT + RETURN + ERROR));
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Greeting.class);
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Event.class);
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Return.class);
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Error.class);
  }

  @Test
  void bareLfAndBlankLinesAreAccepted() {
    channel.writeInbound(bytes("\r\n\n" + RETURN.replace("\r\n", "\n") + "  \r\n"));
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Return.class);
    assertThat((Object) channel.readInbound()).isNull();
  }

  @Test
  void frameLargerThanTheCapFailsWithoutWaitingForItsEnd() {
    EmbeddedChannel small = new EmbeddedChannel(new QmpDecoder(1024));
    assertThatThrownBy(() -> small.writeInbound(bytes("{\"return\": \"" + "x".repeat(2000))))
        .isInstanceOf(DecoderException.class)
        .hasCauseInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("exceeds 1024 bytes");
    // The stream is no longer trusted: later frames, even valid ones, are dropped.
    small.writeInbound(bytes("\"}\r\n" + RETURN));
    assertThat((Object) small.readInbound()).isNull();
  }

  @Test
  void completeFrameOverTheCapFails() {
    EmbeddedChannel small = new EmbeddedChannel(new QmpDecoder(1024));
    String big = "{\"return\": \"" + "x".repeat(1500) + "\"}\n";
    assertThatThrownBy(() -> small.writeInbound(bytes(big)))
        .hasCauseInstanceOf(QmpProtocolException.class);
  }

  @Test
  void frameJustUnderTheCapIsDecoded() {
    EmbeddedChannel small = new EmbeddedChannel(new QmpDecoder(1024));
    String value = "x".repeat(1024 - "{\"return\": \"\"}".length());
    small.writeInbound(bytes("{\"return\": \"" + value + "\"}\n"));
    QmpMessage.Return r = small.readInbound();
    assertThat(r.value().asText()).hasSize(value.length());
  }

  @Test
  void invalidUtf8IsAProtocolError() {
    ByteBuf frame = Unpooled.buffer();
    frame.writeCharSequence("{\"return\": \"", StandardCharsets.US_ASCII);
    frame.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
    frame.writeCharSequence("\"}\r\n", StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> channel.writeInbound(frame))
        .hasCauseInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("malformed JSON");
  }

  @Test
  void nestingDeeperThanTheCapIsAProtocolError() {
    int depth = QmpJson.MAX_NESTING_DEPTH + 10;
    String deep = "{\"return\": " + "[".repeat(depth) + "]".repeat(depth) + "}\n";
    assertThatThrownBy(() -> channel.writeInbound(bytes(deep)))
        .hasCauseInstanceOf(QmpProtocolException.class)
        .hasStackTraceContaining("nesting depth");
  }

  @Test
  void nestingWithinTheCapIsFine() {
    int depth = QmpJson.MAX_NESTING_DEPTH - 2;
    channel.writeInbound(bytes("{\"return\": " + "[".repeat(depth) + "]".repeat(depth) + "}\n"));
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Return.class);
  }

  @Test
  void nonObjectsAndUnknownObjectsAndTrailingJunkAreProtocolErrors() {
    for (String bad : List.of("[1,2]\n", "{\"hello\": 1}\n", "{\"return\": {}} {\"x\":1}\n", "garbage\n")) {
      EmbeddedChannel fresh = new EmbeddedChannel(new QmpDecoder(64 * 1024));
      assertThatThrownBy(() -> fresh.writeInbound(bytes(bad)))
          .as(bad)
          .hasCauseInstanceOf(QmpProtocolException.class);
    }
  }

  @Test
  void validFramesBeforeABadOneAreStillDelivered() {
    assertThatThrownBy(() -> channel.writeInbound(bytes(RETURN + "\u0000\n")))
        .hasCauseInstanceOf(QmpProtocolException.class);
    assertThat((Object) channel.readInbound()).isInstanceOf(QmpMessage.Return.class);
  }

  @Test
  void deviceDeletedCarriesDeviceAndPath() {
    QmpMessage.Event e =
        (QmpMessage.Event)
            decodeOne(
                "{\"timestamp\": {\"seconds\": 5, \"microseconds\": 6}, \"event\": \"DEVICE_DELETED\","
                    + " \"data\": {\"device\": \"nic1\", \"path\": \"/machine/peripheral/nic1\"}}\r\n");
    DeviceDeleted d = (DeviceDeleted) e.event();
    assertThat(d.device()).isEqualTo("nic1");
    assertThat(d.path()).isEqualTo("/machine/peripheral/nic1");
  }
}
