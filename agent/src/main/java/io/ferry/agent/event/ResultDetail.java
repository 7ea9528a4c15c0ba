package io.ferry.agent.event;

import java.util.Collections;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The detail of a migration's last event: {@code {"result":"SUCCEEDED","reason":"...",
 * "figures":{...},"state":{...}}}. {@code reason} is left out when there is none; {@code state}
 * (where each piece was left: source, destination, devices) when there is nothing to say.
 */
public record ResultDetail(
    Result result, Optional<String> reason, MigrationFigures figures, Map<String, Object> state) {
  public ResultDetail {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(figures, "figures");
    state = state == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(state));
  }

  public ResultDetail(Result result, Optional<String> reason, MigrationFigures figures) {
    this(result, reason, figures, Map.of());
  }

  public Map<String, Object> toDetail() {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("result", result.name());
    reason.ifPresent(r -> detail.put("reason", r));
    detail.put("figures", figures.toDetail());
    if (!state.isEmpty()) {
      detail.put("state", state);
    }
    return detail;
  }

  /**
   * Reads the result back from a result event.
   *
   * @throws IllegalArgumentException if the event is not a well-formed result event
   */
  public static ResultDetail of(MigrationEvent event) {
    if (event.kind() != EventKind.RESULT) {
      throw new IllegalArgumentException("event " + event.seq() + " is a "
          + event.kind().wireName() + " event, not a result");
    }
    Map<String, Object> d = event.detail();
    for (String key : d.keySet()) {
      if (!key.equals("result") && !key.equals("reason") && !key.equals("figures")
          && !key.equals("state")) {
        throw new IllegalArgumentException("result detail: unknown field '" + key + "'");
      }
    }
    if (!(d.get("result") instanceof String name)) {
      throw new IllegalArgumentException("result detail: \"result\" is missing");
    }
    Result result;
    try {
      result = Result.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("result detail: '" + name + "' is not a result");
    }
    Object reason = d.get("reason");
    if (reason != null && !(reason instanceof String)) {
      throw new IllegalArgumentException("result detail: \"reason\" must be a string");
    }
    if (!(d.get("figures") instanceof Map<?, ?> figures)) {
      throw new IllegalArgumentException("result detail: \"figures\" must be an object");
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> typed = (Map<String, ?>) figures;
    Object state = d.get("state");
    if (state != null && !(state instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("result detail: \"state\" must be an object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> typedState = state == null ? Map.of() : (Map<String, Object>) state;
    return new ResultDetail(result, Optional.ofNullable((String) reason),
        MigrationFigures.fromDetail(typed), typedState);
  }
}
