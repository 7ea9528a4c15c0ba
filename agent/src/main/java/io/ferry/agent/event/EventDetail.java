package io.ferry.agent.event;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Normalises event detail values to the types JSON reading gives back (String, Boolean, Long,
 * Double, List, Map with String keys, null), so an event equals itself after an NDJSON round trip,
 * and so a detail is immutable once emitted.
 */
final class EventDetail {

  private EventDetail() {}

  static Map<String, Object> normalize(Map<String, ?> detail) {
    if (detail == null) {
      return Map.of();
    }
    return normalizeMap(detail, "detail");
  }

  private static Map<String, Object> normalizeMap(Map<?, ?> map, String at) {
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      String key =
          k instanceof String s ? s
              : k instanceof Enum<?> e ? e.name()
              : fail(at, "has a key of type " + typeOf(k) + "; keys are strings");
      copy.put(key, value(v, at + "." + key));
    });
    return Collections.unmodifiableMap(copy);
  }

  private static Object value(Object v, String at) {
    if (v == null || v instanceof String || v instanceof Boolean) {
      return v;
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? (Object) b.longValueExact() : b;
    }
    if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      return ((Number) v).doubleValue();
    }
    if (v instanceof Enum<?> e) {
      return e.name();
    }
    if (v instanceof Map<?, ?> m) {
      return normalizeMap(m, at);
    }
    if (v instanceof Collection<?> c) {
      List<Object> list = new ArrayList<>(c.size());
      int i = 0;
      for (Object item : c) {
        list.add(value(item, at + "[" + i++ + "]"));
      }
      return Collections.unmodifiableList(list);
    }
    return fail(at, "is a " + typeOf(v) + "; event details hold strings, numbers, booleans, lists"
        + " and maps");
  }

  private static String typeOf(Object o) {
    return o == null ? "null" : o.getClass().getName();
  }

  private static <T> T fail(String at, String message) {
    throw new IllegalArgumentException(at + " " + message);
  }
}
