package io.ferry.qmp.codec;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpGreeting;
import io.ferry.qmp.QmpProtocolException;
import io.ferry.qmp.QmpTimestamp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes → {@link QmpMessage}. QEMU ends each JSON object with CRLF (LF alone is accepted). A frame
 * longer than the cap, bytes that are not a JSON object, or JSON nested deeper than {@link
 * QmpJson#MAX_NESTING_DEPTH} raise one {@link QmpProtocolException}; everything after it is
 * discarded, because a stream that lost sync cannot be trusted again.
 */
public final class QmpDecoder extends ByteToMessageDecoder {
  private final int maxFrameBytes;
  /** Bytes of the current partial frame already searched for LF, so big frames are scanned once. */
  private int scanned;

  private boolean failed;

  public QmpDecoder(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (in.isReadable()) {
      int start = in.readerIndex();
      int lf = in.forEachByte(start + scanned, in.writerIndex() - start - scanned, ByteProcessor.FIND_LF);
      if (lf < 0) {
        scanned = in.readableBytes();
        if (scanned > maxFrameBytes) {
          throw fail(in, "frame exceeds " + maxFrameBytes + " bytes without a line end");
        }
        return;
      }
      scanned = 0;
      int length = lf - start;
      if (length > maxFrameBytes) {
        throw fail(in, "frame of " + length + " bytes exceeds the cap of " + maxFrameBytes);
      }
      ByteBuf frame = in.slice(start, length);
      in.readerIndex(lf + 1);
      if (isBlank(frame)) {
        continue;
      }
      QmpMessage message;
      try {
        message = classify(parse(frame));
      } catch (QmpProtocolException e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        throw e;
      }
      out.add(message);
    }
  }

  private QmpProtocolException fail(ByteBuf in, String why) {
    failed = true;
    in.skipBytes(in.readableBytes());
    return new QmpProtocolException(why);
  }

  private static boolean isBlank(ByteBuf frame) {
    return frame.forEachByte(b -> b == ' ' || b == '\r' || b == '\t') < 0;
  }

  private static JsonNode parse(ByteBuf frame) {
    try (ByteBufInputStream stream = new ByteBufInputStream(frame)) {
      return QmpJson.MAPPER.readTree(stream);
    } catch (JacksonException e) {
      throw new QmpProtocolException("malformed JSON from server: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new QmpProtocolException("unreadable frame from server: " + e.getMessage(), e);
    }
  }

  /** Public for tests and tools that classify recorded frames. */
  public static QmpMessage classify(JsonNode json) {
    if (json == null || json.isMissingNode()) {
      throw new QmpProtocolException("frame is not a JSON object: no JSON value in it (NUL bytes?)");
    }
    if (!json.isObject()) {
      throw new QmpProtocolException("frame is not a JSON object: " + abbreviate(json));
    }
    if (json.has("return")) {
      return new QmpMessage.Return(json.get("id"), json.get("return"));
    }
    if (json.has("error")) {
      JsonNode error = json.get("error");
      return new QmpMessage.Error(
          json.get("id"), error.path("class").asText("?"), error.path("desc").asText(""));
    }
    if (json.has("event")) {
      JsonNode ts = json.path("timestamp");
      return new QmpMessage.Event(
          QmpEvent.of(
              json.get("event").asText(),
              new QmpTimestamp(ts.path("seconds").asLong(), ts.path("microseconds").asLong()),
              json.get("data")));
    }
    if (json.has("QMP")) {
      return new QmpMessage.Greeting(greeting(json.get("QMP")));
    }
    throw new QmpProtocolException("unknown QMP message: " + abbreviate(json));
  }

  private static QmpGreeting greeting(JsonNode qmp) {
    JsonNode version = qmp.path("version");
    JsonNode qemu = version.path("qemu");
    List<String> capabilities = new ArrayList<>();
    qmp.path("capabilities").forEach(c -> capabilities.add(c.asText()));
    return new QmpGreeting(
        qemu.path("major").asInt(),
        qemu.path("minor").asInt(),
        qemu.path("micro").asInt(),
        version.path("package").asText(""),
        capabilities);
  }

  private static String abbreviate(JsonNode json) {
    String s = String.valueOf(json);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
