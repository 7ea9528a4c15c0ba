package io.ferry.agent.cli;

import io.ferry.agent.event.EventFormatException;
import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * Follows one of the daemon's NDJSON event streams, handing each event to a sink, and remembers
 * the last result it saw. A line that is not an event (the daemon's {@code subscriber_dropped}
 * notice) is reported on stderr.
 */
final class EventFollower {
  private final EventSink sink;
  private final PrintWriter err;
  private Result lastResult;

  EventFollower(EventSink sink, PrintWriter err) {
    this.sink = sink;
    this.err = err;
  }

  /** Follows {@code path} until the daemon ends the stream; the reply is a refusal or the stream's end. */
  DaemonClient.Reply follow(DaemonClient daemon, String path) throws IOException {
    return daemon.stream(path, this::line);
  }

  Optional<Result> lastResult() {
    return Optional.ofNullable(lastResult);
  }

  private void line(String line) {
    if (line.isBlank()) {
      return;
    }
    MigrationEvent event;
    try {
      event = EventJson.fromLine(line);
    } catch (EventFormatException notAnEvent) {
      err.println("ferry: from the daemon: " + line);
      err.flush();
      return;
    }
    if (event.kind() == EventKind.RESULT) {
      lastResult = ResultDetail.of(event).result();
    }
    sink.accept(event);
  }
}
