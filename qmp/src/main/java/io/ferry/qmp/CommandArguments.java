package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.qmp.codec.QmpJson;
import java.util.List;
import java.util.Map;

/**
 * A command's arguments as they go into a {@code QmpRequest}: null for none, or something the
 * encoder writes as a JSON object. Checked at the call, so that a bad argument fails there and
 * nothing is sent.
 */
final class CommandArguments {
  /** Deeper maps take the tree path; QMP arguments nest two or three levels. */
  private static final int MAX_PLAIN_DEPTH = 16;

  private CommandArguments() {}

  /**
   * A map of plain JSON values (strings, booleans, ints, longs, doubles, null, lists and string-keyed
   * maps of them: the typed commands' {@code Map.of} and most callers') is returned as is: Jackson
   * cannot fail to write it, and copying it into a tree first cost ~5% of the I/O thread's CPU.
   * Anything else is converted to a tree here, which is what tells whether it serialises at all.
   * The caller must not change a map after passing it: the I/O thread writes it later.
   *
   * @throws IllegalArgumentException when the arguments cannot be turned into JSON or are not a
   *     JSON object
   */
  static Object of(String command, Object arguments) {
    if (arguments == null) {
      return null;
    }
    if (arguments instanceof Map<?, ?> map && plainObject(map, 0)) {
      return map;
    }
    JsonNode tree;
    try {
      tree = arguments instanceof JsonNode node ? node : QmpJson.MAPPER.valueToTree(arguments);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "arguments of " + command + " cannot be turned into JSON: " + e.getMessage(), e);
    }
    if (tree == null || tree.isNull()) {
      return null;
    }
    if (!(tree instanceof ObjectNode object)) {
      throw new IllegalArgumentException(
          "arguments of " + command + " must be a JSON object, got " + tree.getNodeType());
    }
    return object;
  }

  private static boolean plainObject(Map<?, ?> map, int depth) {
    if (depth > MAX_PLAIN_DEPTH) {
      return false;
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String) || !plainValue(e.getValue(), depth + 1)) {
        return false;
      }
    }
    return true;
  }

  private static boolean plainValue(Object value, int depth) {
    return value == null
        || value instanceof String
        || value instanceof Boolean
        || value instanceof Integer
        || value instanceof Long
        || value instanceof Double
        || (value instanceof Map<?, ?> map && plainObject(map, depth))
        || (value instanceof List<?> list && plainArray(list, depth));
  }

  private static boolean plainArray(List<?> list, int depth) {
    if (depth > MAX_PLAIN_DEPTH) {
      return false;
    }
    for (Object element : list) {
      if (!plainValue(element, depth + 1)) {
        return false;
      }
    }
    return true;
  }
}
