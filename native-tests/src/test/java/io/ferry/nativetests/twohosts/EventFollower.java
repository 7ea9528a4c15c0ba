package io.ferry.nativetests.twohosts;

import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A subscriber of one daemon's {@code GET /v1/events} (curl over its unix socket, as a manager
 * would follow it): keeps the events of one migration and completes when its result arrives.
 */
final class EventFollower implements AutoCloseable {
  private final Process curl;
  private final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final CompletableFuture<MigrationEvent> result = new CompletableFuture<>();

  private EventFollower(Process curl, String migrationId) {
    this.curl = curl;
    Thread reader = new Thread(() -> read(migrationId), "event-follower");
    reader.setDaemon(true);
    reader.start();
  }

  static EventFollower follow(Path socket, String migrationId) throws IOException {
    Process curl = new ProcessBuilder("curl", "-s", "-N", "--unix-socket", socket.toString(),
        "http://ferry/v1/events").redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return new EventFollower(curl, migrationId);
  }

  private void read(String migrationId) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(curl.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        MigrationEvent e = EventJson.fromLine(line);
        if (e.migration().equals(migrationId)) {
          events.add(e);
          if (e.kind() == EventKind.RESULT) {
            result.complete(e);
          }
        }
      }
      result.completeExceptionally(new IOException("the event stream ended without a result"));
    } catch (IOException | RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  CompletableFuture<MigrationEvent> result() {
    return result;
  }

  List<MigrationEvent> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  String text() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  @Override
  public void close() {
    curl.destroy();
  }
}
