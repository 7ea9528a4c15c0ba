package io.ferry.agent.cli;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.MigrationEvent;
import java.io.PrintWriter;
import java.util.Map;

/**
 * Renders events for a person at a terminal: time since the first event, phase, what happened.
 * The NDJSON output ({@code --output ndjson}) carries the same events for programs.
 */
final class TextEventPrinter implements EventSink {
  private final PrintWriter out;
  private final boolean showMigration;
  private long firstMonoNs = -1;

  TextEventPrinter(PrintWriter out) {
    this(out, false);
  }

  /** @param showMigration start each line with the migration id (a stream of several migrations) */
  TextEventPrinter(PrintWriter out, boolean showMigration) {
    this.out = out;
    this.showMigration = showMigration;
  }

  @Override
  public synchronized void accept(MigrationEvent event) {
    if (firstMonoNs < 0) {
      firstMonoNs = event.monoNs();
    }
    double seconds = (event.monoNs() - firstMonoNs) / 1e9;
    StringBuilder line = new StringBuilder(String.format("%8.3fs  %-9s ", seconds, event.phase()));
    if (showMigration) {
      line.insert(0, event.migration() + "  ");
    }
    if (event.kind() == EventKind.RESULT) {
      line.append(describeResult(event.detail()));
    } else {
      line.append(String.format("%-9s", event.kind().wireName()));
      event.device().ifPresent(d -> line.append(' ').append(d));
      event.qemu().ifPresent(q -> line.append(' ').append(q.side().wireName()).append(' ').append(q.event()));
      if (!event.detail().isEmpty()) {
        line.append(' ').append(event.detail());
      }
    }
    out.println(line);
    out.flush();
  }

  private static String describeResult(Map<String, Object> detail) {
    StringBuilder text = new StringBuilder("RESULT ").append(detail.get("result"));
    if (detail.get("reason") != null) {
      text.append(": ").append(detail.get("reason"));
    }
    if (detail.get("figures") instanceof Map<?, ?> figures) {
      text.append(System.lineSeparator()).append("           figures ").append(figures);
    }
    if (detail.get("state") instanceof Map<?, ?> state) {
      text.append(System.lineSeparator()).append("           state   ").append(state);
    }
    return text.toString();
  }
}
