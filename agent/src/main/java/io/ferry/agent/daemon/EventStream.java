package io.ferry.agent.daemon;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.SubscriberDroppedException;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes one subscriber's events to its HTTP response as chunks, NDJSON or Server-Sent Events.
 * Runs on the bus's delivery threads and never waits: when the client does not read and the
 * channel's outbound buffer passes its high-water mark, it throws, so the bus drops it (with a
 * final notice to the client) instead of buffering without bound.
 */
final class EventStream implements EventSink {
  private final Channel channel;
  private final StreamFormat format;

  EventStream(Channel channel, StreamFormat format) {
    this.channel = channel;
    this.format = format;
  }

  /** One event, framed. */
  static String frame(StreamFormat format, MigrationEvent e) {
    String json = EventJson.toLine(e);
    return switch (format) {
      case NDJSON -> json + "\n";
      case SSE -> "id: " + e.migration() + "/" + e.seq() + "\nevent: " + e.kind().wireName()
          + "\ndata: " + json + "\n\n";
    };
  }

  @Override
  public void accept(MigrationEvent event) {
    if (!channel.isActive()) {
      throw new IllegalStateException("client went away");
    }
    if (!channel.isWritable()) {
      throw new IllegalStateException("client reads too slowly: its outbound buffer is full");
    }
    write(frame(format, event));
  }

  @Override
  public void dropped(SubscriberDroppedException why) {
    String json;
    try {
      json = ErrorBodies.JSON.writeValueAsString(Map.of("error", Map.of(
          "code", "subscriber_dropped", "message", why.getMessage(),
          "migration", why.migration(), "firstMissedSeq", why.firstMissedSeq())));
    } catch (Exception e) {
      json = "{\"error\":{\"code\":\"subscriber_dropped\",\"message\":\"dropped\"}}";
    }
    write(format == StreamFormat.SSE ? "event: dropped\ndata: " + json + "\n\n" : json + "\n");
    end();
  }

  /** Ends the chunked response and the connection. */
  void end() {
    onLoop(() -> channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE));
  }

  private void write(String text) {
    onLoop(() -> channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8))));
  }

  // Every write goes through the loop's task queue, whichever thread asks: a write made directly
  // on the loop (end() can be called there) would otherwise overtake chunks still queued.
  private void onLoop(Runnable write) {
    channel.eventLoop().execute(write);
  }

  @Override
  public String toString() {
    return "http stream " + channel.id().asShortText() + " (" + format + ")";
  }
}
