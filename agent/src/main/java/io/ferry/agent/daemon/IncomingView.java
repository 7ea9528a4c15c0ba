package io.ferry.agent.daemon;

import io.ferry.agent.migration.Incoming;
import io.ferry.agent.migration.MigrationOutcome;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON of one incoming migration in {@code GET /v1/migrations}: the fields an outgoing one
 * has where they mean the same ({@code id, role, state, phase, recovered, result, reason}), with
 * {@code state} telling where the peer protocol stands, and what only a destination has
 * ({@code destination}, {@code prepared}, {@code lease}).
 */
final class IncomingView {
  private IncomingView() {}

  static Map<String, Object> of(Incoming in) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", in.id());
    out.put("role", "incoming");
    MigrationOutcome o = in.outcome();
    out.put("state", in.state().wireName());
    out.put("phase", o == null ? in.phase().name() : "DONE");
    out.put("destination", in.plan().destination().qmp().toString());
    out.put("prepared", in.prepared());
    in.leaseRemaining().ifPresent(left -> out.put("lease", Map.of(
        "durationMs", in.leaseLength().toMillis(), "remainingMs", left.toMillis())));
    if (in.recovered()) {
      out.put("recovered", true);
    }
    if (o != null) {
      out.put("result", o.result().name());
      if (o.reason() != null) {
        out.put("reason", o.reason());
      }
    }
    return out;
  }
}
