package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What this QEMU speaks, from {@code query-qmp-schema}: probe features by name instead of by
 * version number. Type names in the schema are masked; command and event names are real.
 */
public final class QmpSchema {
  private final Map<String, JsonNode> commands = new HashMap<>();
  private final Set<String> events = new HashSet<>();
  private final Map<String, JsonNode> objectTypes = new HashMap<>();

  private QmpSchema(JsonNode entries) {
    for (JsonNode entry : entries) {
      String name = entry.path("name").asText();
      switch (entry.path("meta-type").asText()) {
        case "command" -> commands.put(name, entry);
        case "event" -> events.add(name);
        case "object" -> objectTypes.put(name, entry);
        default -> {}
      }
    }
  }

  /** Builds the view from the {@code return} value of {@code query-qmp-schema}. */
  public static QmpSchema from(JsonNode queryQmpSchemaReturn) {
    if (queryQmpSchemaReturn == null || !queryQmpSchemaReturn.isArray()) {
      throw new IllegalArgumentException("query-qmp-schema must return an array");
    }
    return new QmpSchema(queryQmpSchemaReturn);
  }

  public boolean hasCommand(String command) {
    return commands.containsKey(command);
  }

  /** True if {@code command} exists and its argument object has a member named {@code argument}. */
  public boolean hasCommandArgument(String command, String argument) {
    JsonNode entry = commands.get(command);
    if (entry == null) {
      return false;
    }
    JsonNode type = objectTypes.get(entry.path("arg-type").asText());
    return type != null && hasMember(type, argument);
  }

  public boolean hasEvent(String event) {
    return events.contains(event);
  }

  /** True if {@code command} may be sent with {@code exec-oob}. */
  public boolean allowsOob(String command) {
    JsonNode entry = commands.get(command);
    return entry != null && entry.path("allow-oob").asBoolean(false);
  }

  public Set<String> commands() {
    return Set.copyOf(commands.keySet());
  }

  public Set<String> events() {
    return Set.copyOf(events);
  }

  /** Members of the object itself, or of any variant when it is a flat union. */
  private boolean hasMember(JsonNode objectType, String member) {
    for (JsonNode m : objectType.path("members")) {
      if (member.equals(m.path("name").asText())) {
        return true;
      }
    }
    for (JsonNode variant : objectType.path("variants")) {
      JsonNode type = objectTypes.get(variant.path("type").asText());
      if (type != null && type != objectType && hasMember(type, member)) {
        return true;
      }
    }
    return false;
  }
}
