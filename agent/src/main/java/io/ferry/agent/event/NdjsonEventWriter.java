package io.ferry.agent.event;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Writes each event as one NDJSON line and flushes it, so a reader (a pipe, the API stream, the
 * journal) sees every event as soon as it happens. Blocking: subscribe it to an {@link EventBus}
 * rather than calling it from an event-loop thread.
 */
public final class NdjsonEventWriter implements EventSink {

  private final OutputStream out;

  public NdjsonEventWriter(OutputStream out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /** @throws UncheckedIOException when the stream fails (an {@link EventBus} then drops this sink) */
  @Override
  public synchronized void accept(MigrationEvent event) {
    byte[] line = (EventJson.toLine(event) + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      out.write(line);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write event " + event.seq() + " of migration "
          + event.migration(), e);
    }
  }
}
