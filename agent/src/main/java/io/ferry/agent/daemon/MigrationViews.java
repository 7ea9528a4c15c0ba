package io.ferry.agent.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.util.RawValue;
import io.ferry.agent.migration.Migration;
import io.ferry.agent.migration.MigrationOutcome;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JSON view of an outgoing migration for {@code GET /v1/migrations} and {@code GET
 * /v1/migrations/{id}}. A finished migration's view never changes, and a manager polls the list
 * (up to {@link DaemonCore#RETAINED_FINISHED} of them, each with its figures) many times a
 * second, so each finished view is encoded once and kept until the daemon forgets the migration.
 */
final class MigrationViews {
  // Keyed by the migration object, not its id: a forgotten id may be used again.
  private final Map<Migration, RawValue> finished = new ConcurrentHashMap<>();

  /** A value for Jackson: the view as a map while running, its encoded JSON once finished. */
  Object of(Migration m) {
    if (m.ended() == null) {
      return view(m);
    }
    return finished.computeIfAbsent(m, MigrationViews::encoded);
  }

  /** Drops a forgotten migration's encoded view. */
  void forget(Migration m) {
    finished.remove(m);
  }

  private static RawValue encoded(Migration m) {
    try {
      // SerializedString keeps the UTF-8 bytes, so writing the view again is a copy.
      return new RawValue(new SerializedString(ErrorBodies.JSON.writeValueAsString(view(m))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("views are plain maps and lists", e);
    }
  }

  /** The JSON of one migration: {@code id, role, state, phase, result, reason, figures}. */
  static Map<String, Object> view(Migration m) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", m.id());
    out.put("role", "outgoing");
    MigrationOutcome o = m.ended();
    out.put("state", o == null ? "running" : "finished");
    out.put("phase", o == null ? m.phase().name() : "DONE");
    out.put("source", m.plan().source().qmp().toString());
    m.plan().destination().agent().ifPresent(agent -> out.put("destinationAgent", agent.toString()));
    if (m.recovered()) {
      out.put("recovered", true);
    }
    if (o != null) {
      out.put("result", o.result().name());
      if (o.reason() != null) {
        out.put("reason", o.reason());
      }
      if (o.figures() != null) {
        out.put("figures", o.figures().toDetail());
      }
    }
    return out;
  }
}
