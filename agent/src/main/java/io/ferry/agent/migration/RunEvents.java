package io.ferry.agent.migration;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.MigrationEvents;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Side;
import io.ferry.qmp.QmpEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/** The orchestrator's vocabulary of events, written through one {@link MigrationEvents}. */
final class RunEvents {
  private final MigrationEvents events;
  /**
   * Set once the result is out. QEMU events reach the taps on their own delivery threads and may
   * trail the result; they are dropped then, since a migration's stream ends with its result.
   */
  private volatile boolean finished;
  /** The outcome whose result event went out; set before that event is published. */
  private volatile MigrationOutcome published;

  RunEvents(String migrationId, EventSink sink) {
    this.events = new MigrationEvents(migrationId, sink);
  }

  void phaseStarted(Phase phase) {
    events.phaseStarted(phase);
  }

  void phaseCompleted(Phase phase) {
    events.phaseCompleted(phase, Map.of());
  }

  void phaseFailed(Phase phase, String reason) {
    events.phaseFailed(phase, reason, Map.of());
  }

  /** Figures a phase settled on (capabilities, parameters, devices found). */
  void phaseDetail(Phase phase, Map<String, ?> detail) {
    events.progress(phase, detail);
  }

  void progress(Phase phase, Map<String, ?> detail) {
    events.progress(phase, detail);
  }

  /** A device's step; {@code step} names it in {@code detail.step} (e.g. "unplug-requested"). */
  void device(Phase phase, String device, String step, Map<String, ?> detail) {
    EventKind kind =
        switch (step) {
          case "deleted", "plugged", "failover-negotiated" -> EventKind.COMPLETED;
          case "plug-failed", "failover-missing" -> EventKind.FAILED;
          case "blocks-migration" -> EventKind.PROGRESS;
          default -> EventKind.STARTED;
        };
    events.device(phase, device, kind, with(detail, "step", step));
  }

  /** One of the orchestrator's own actions (cancel requested, migrate_cancel, quit...). */
  void step(Phase phase, String step, Map<String, ?> detail) {
    try {
      events.progress(phase, with(detail, "step", step));
    } catch (IllegalStateException trailing) {
      // a cancel that raced the result: the stream is closed, and the cancel has no effect
    }
  }

  void warning(Phase phase, String device, String message, Map<String, ?> detail) {
    try {
      if (device == null) {
        events.warning(phase, message, detail);
      } else {
        events.emit(phase, EventKind.WARNING, device, null, with(detail, "message", message));
      }
    } catch (IllegalStateException trailing) {
      // raced the result (e.g. a late cancel): nothing may follow the result
    }
  }

  void qemu(Phase phase, Side side, QmpEvent event) {
    if (finished) {
      return;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    if (event.data() != null) {
      event.data().properties().forEach(f -> data.put(f.getKey(), scalar(f.getValue())));
    }
    String device = QmpEvents.deviceOf(event);
    long micros = event.timestamp().epochMicros();
    try {
      if (device != null) {
        events.qemu(phase, side, event.name(), micros, device, data);
      } else {
        events.qemu(phase, side, event.name(), micros, data);
      }
    } catch (IllegalStateException trailing) {
      // the result went out between the check above and this event: the stream is closed
    }
  }

  void monitorClosed(Phase phase, Side side, Throwable reason) {
    if (finished) {
      return;
    }
    try {
      events.warning(
          phase,
          "the " + side.wireName() + " QMP connection closed",
          reason == null ? Map.of() : Map.of("cause", Errors.message(reason)));
    } catch (IllegalStateException trailing) {
      // closed as the migration ended: nothing to report after the result
    }
  }

  void result(MigrationOutcome outcome) {
    // Before the event: a subscriber that sees the result and asks for the migration at once
    // must find it ended, not still running.
    published = outcome;
    finished = true;
    events.result(outcome.result(), outcome.reason(), outcome.figures(), outcome.state());
  }

  /** The outcome of the result event, once it is out (or about to be); null before. */
  MigrationOutcome published() {
    return published;
  }

  private static Object scalar(com.fasterxml.jackson.databind.JsonNode node) {
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.toString();
  }

  private static Map<String, Object> with(Map<String, ?> detail, String key, Object value) {
    Map<String, Object> out = new LinkedHashMap<>(detail);
    out.put(key, value);
    return out;
  }
}
