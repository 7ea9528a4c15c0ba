package io.ferry.agent.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * Type and presence checks on a JSON tree that record a problem instead of throwing, so the
 * caller can go on and find the next one. Each returns {@code null} or empty when the check
 * failed.
 */
final class TreeChecks {

  private final Problems problems;

  TreeChecks(Problems problems) {
    this.problems = problems;
  }

  /** A device property or migration parameter value: String, Long, Double or Boolean. */
  Object scalar(JsonNode node, String at) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      if (node.canConvertToLong()) {
        return node.longValue();
      }
      problems.add(at, "number " + node.bigIntegerValue() + " is out of range (at most "
          + Long.MAX_VALUE + ")");
      return null;
    }
    if (node.isFloatingPointNumber()) {
      double d = node.doubleValue();
      if (Double.isFinite(d)) {
        return d;
      }
      problems.add(at, "number is out of range");
      return null;
    }
    wrongType(at, node, "a string, number or boolean");
    return null;
  }

  <E extends Enum<E> & WireName> E enumField(
      ObjectNode o, String parentPath, String name, Class<E> type, E fallback) {
    if (!o.has(name)) {
      return fallback;
    }
    String at = JsonPath.field(parentPath, name);
    return optionalText(o, parentPath, name)
        .map(v -> problems.check(at, v, text -> WireName.parse(type, text)))
        .orElse(null);
  }

  ObjectNode object(JsonNode node, String at) {
    if (node instanceof ObjectNode o) {
      return o;
    }
    wrongType(at, node, "an object");
    return null;
  }

  void onlyFields(ObjectNode o, String at, Set<String> allowed) {
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        problems.add(JsonPath.field(at, name),
            "unknown field; allowed here: " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  Optional<String> requiredText(ObjectNode o, String parentPath, String name) {
    if (!o.has(name)) {
      problems.add(JsonPath.field(parentPath, name), "is required");
      return Optional.empty();
    }
    return optionalText(o, parentPath, name);
  }

  /** Empty when absent; also empty (with a problem recorded) when present but not a string. */
  Optional<String> optionalText(ObjectNode o, String parentPath, String name) {
    JsonNode node = o.get(name);
    if (node == null) {
      return Optional.empty();
    }
    if (!node.isTextual()) {
      wrongType(JsonPath.field(parentPath, name), node, "a string");
      return Optional.empty();
    }
    return Optional.of(node.textValue());
  }

  void wrongType(String at, JsonNode node, String expected) {
    problems.add(at, "must be " + expected + ", not " + describe(node)
        + (node.isNull() ? " (omit the field instead)" : ""));
  }

  static String describe(JsonNode node) {
    return switch (node.getNodeType()) {
      case OBJECT -> "an object";
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case POJO -> node instanceof POJONode pojo && pojo.getPojo() != null
          ? "a Java " + pojo.getPojo().getClass().getName()
          : "a Java object";
      default -> node.getNodeType().name().toLowerCase();
    };
  }
}
