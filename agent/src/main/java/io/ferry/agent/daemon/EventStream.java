package io.ferry.agent.daemon;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.SubscriberDroppedException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes one subscriber's events to its HTTP response as chunks, NDJSON or Server-Sent Events.
 * Runs on the bus's delivery threads (never a Netty event loop), so it may wait: once more than
 * the channel's high-water mark is unsent, it waits for the client to take what was sent. A
 * client that reads, only more slowly than events come (a late subscriber taking the history), is
 * paced that way; one that takes nothing for {@link #STALL_LIMIT} makes it throw, so the bus drops
 * it (with a final notice to the client) instead of buffering without bound. The publisher never
 * waits either way: each subscriber has its own queue on the bus.
 */
final class EventStream implements EventSink {
  private final Channel channel;
  private final StreamFormat format;
  /**
   * Bytes handed to the loop and not yet written to the socket. The channel's own writability
   * cannot be the test: chunks wait in the loop's task queue before they reach its outbound
   * buffer, so on a busy loop a non-reading client would be sent everything, held in that queue.
   */
  private final AtomicLong unsent = new AtomicLong();
  /** Completes once everything handed to the loop so far has reached the socket. */
  private volatile CompletableFuture<Void> allWritten = CompletableFuture.completedFuture(null);

  static final Duration STALL_LIMIT = Duration.ofSeconds(2);
  /** How long a dropped client has to read its backlog and the notice before it is cut off. */
  static final Duration DROPPED_GRACE = Duration.ofSeconds(30);

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
    if (unsent.get() > channel.config().getWriteBufferHighWaterMark()) {
      awaitDrained();
    }
    write(frame(format, event));
  }

  private void awaitDrained() {
    try {
      allWritten.get(STALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "client reads too slowly: it took nothing of its last " + unsent.get() / 1024 + " KiB in "
              + STALL_LIMIT.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new IllegalStateException("client went away", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the client read", e);
    }
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
    // The notice waits behind what the client has not read; one that never reads again would hold
    // the connection and that buffer forever.
    channel.eventLoop().schedule(() -> channel.close(), DROPPED_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Ends the chunked response and the connection. */
  void end() {
    onLoop(() -> channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE));
  }

  private void write(String text) {
    ByteBuf bytes = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    int size = bytes.readableBytes();
    unsent.addAndGet(size);
    CompletableFuture<Void> written = new CompletableFuture<>();
    allWritten = written; // writes complete in order: the last one done means all are
    onLoop(() -> channel.writeAndFlush(new DefaultHttpContent(bytes)).addListener(done -> {
      unsent.addAndGet(-size);
      if (done.isSuccess()) {
        written.complete(null);
      } else {
        written.completeExceptionally(done.cause());
      }
    }));
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
