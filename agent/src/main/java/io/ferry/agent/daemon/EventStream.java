package io.ferry.agent.daemon;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.PacedSink;
import io.ferry.agent.event.SubscriberDroppedException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Writes one subscriber's events to its HTTP response as chunks, NDJSON or Server-Sent Events.
 * The bus delivers to it on the connection's own event loop (a {@link PacedSink}), so a hundred
 * subscribers cost no thread hand-offs, and a run of events goes out in one flush. It never
 * blocks: once more than the channel's high-water mark is unsent it tells the bus to wait until
 * the client has taken it down to the low-water mark. A client that reads, only more slowly than
 * events come (a late subscriber taking the history), is paced that way; one that does not get
 * there within {@link #STALL_LIMIT} is given up on, so the bus drops it (with a final notice to
 * the client) instead of buffering without bound. The publisher never waits either way: each
 * subscriber has its own queue on the bus.
 */
final class EventStream implements PacedSink {
  private static final CompletableFuture<Void> READY = CompletableFuture.completedFuture(null);
  /** Every stream frames the same event objects: each is encoded once, not once per stream. */
  private static final EventFrames FRAMES = new EventFrames();

  private final Channel channel;
  private final StreamFormat format;
  // Both confined to the event loop, where the bus calls every method of a paced sink.
  /** Bytes written to the channel and not yet taken by the socket. */
  private long unsent;
  /**
   * While the bus waits for the client to read: completes at the low-water mark, or fails (and
   * stays failed) when the client stalls or goes away.
   */
  private CompletableFuture<Void> drained;

  static final Duration STALL_LIMIT = Duration.ofSeconds(2);
  /** How long a dropped client has to read its backlog and the notice before it is cut off. */
  static final Duration DROPPED_GRACE = Duration.ofSeconds(30);

  EventStream(Channel channel, StreamFormat format) {
    this.channel = channel;
    this.format = format;
  }

  @Override
  public Executor executor() {
    return channel.eventLoop();
  }

  @Override
  public void accept(MigrationEvent event) {
    if (!channel.isActive()) {
      throw new IllegalStateException("client went away");
    }
    write(FRAMES.frame(format, event));
  }

  @Override
  public void flush() {
    channel.flush();
  }

  @Override
  public CompletableFuture<Void> ready() {
    if (drained != null) {
      return drained;
    }
    if (unsent <= channel.config().getWriteBufferHighWaterMark()) {
      return READY;
    }
    CompletableFuture<Void> wait = new CompletableFuture<>();
    drained = wait;
    long stuck = unsent;
    ScheduledFuture<?> stall = channel.eventLoop().schedule(() -> {
      if (drained == wait) { // a failed wait stays: the stream is given up
        wait.completeExceptionally(new IllegalStateException("client reads too slowly: " + stuck / 1024
            + " KiB were waiting for it and it did not take them within " + STALL_LIMIT.toSeconds() + " s"));
      }
    }, STALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    wait.whenComplete((ok, failed) -> stall.cancel(false));
    return wait;
  }

  private void written(int size, Future<? super Void> done) {
    unsent -= size;
    CompletableFuture<Void> wait = drained;
    if (wait == null || wait.isDone()) {
      return;
    }
    if (!done.isSuccess()) {
      wait.completeExceptionally(new IllegalStateException("client went away", done.cause()));
    } else if (unsent <= channel.config().getWriteBufferLowWaterMark()) {
      drained = null;
      wait.complete(null);
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
    String notice = format == StreamFormat.SSE ? "event: dropped\ndata: " + json + "\n\n" : json + "\n";
    onLoop(() -> write(Unpooled.copiedBuffer(notice, StandardCharsets.UTF_8)));
    end();
    // The notice waits behind what the client has not read; one that never reads again would hold
    // the connection and that buffer forever.
    channel.eventLoop().schedule(() -> channel.close(), DROPPED_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Ends the chunked response and the connection. */
  void end() {
    onLoop(() -> channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE));
  }

  /** Writes a frame without flushing; on the loop. */
  private void write(ByteBuf frame) {
    int size = frame.readableBytes();
    unsent += size;
    channel.write(new DefaultHttpContent(frame)).addListener(done -> written(size, done));
  }

  // end() and dropped() may be called off the loop (the bus's close, a subscription's end): going
  // through the loop's task queue keeps them behind every frame already written.
  private void onLoop(Runnable write) {
    channel.eventLoop().execute(write);
  }

  @Override
  public String toString() {
    return "http stream " + channel.id().asShortText() + " (" + format + ")";
  }
}
