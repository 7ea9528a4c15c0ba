package io.ferry.agent.daemon;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.MigrationEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Frames events for the HTTP streams, encoding each event once however many streams carry it: the
 * bus hands every subscriber the same event object, so a small cache keyed by object identity,
 * with no lock, catches the fan-out (a hundred subscribers would otherwise encode each event a
 * hundred times). A miss, or a slot taken over by another event, only costs an encoding.
 */
final class EventFrames {
  private static final int SLOTS = 256; // far more than the events in flight to the streams at once

  private record Encoded(MigrationEvent event, String json, byte[] ndjson) {}

  private final AtomicReferenceArray<Encoded> slots = new AtomicReferenceArray<>(SLOTS);

  /** The event as one chunk of the stream's format; the buffer is the caller's. */
  ByteBuf frame(StreamFormat format, MigrationEvent e) {
    Encoded encoded = encoded(e);
    return switch (format) {
      case NDJSON -> Unpooled.wrappedBuffer(encoded.ndjson()); // shared, never written to
      case SSE -> Unpooled.copiedBuffer("id: " + e.migration() + "/" + e.seq() + "\nevent: "
          + e.kind().wireName() + "\ndata: " + encoded.json() + "\n\n", StandardCharsets.UTF_8);
    };
  }

  private Encoded encoded(MigrationEvent e) {
    int slot = System.identityHashCode(e) & (SLOTS - 1);
    Encoded cached = slots.get(slot);
    if (cached != null && cached.event() == e) {
      return cached;
    }
    String json = EventJson.toLine(e);
    Encoded fresh = new Encoded(e, json, (json + "\n").getBytes(StandardCharsets.UTF_8));
    slots.set(slot, fresh);
    return fresh;
  }
}
