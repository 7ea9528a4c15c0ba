package io.ferry.agent.plan;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Enums whose JSON spelling differs from their Java name ({@code unplug-replug} vs {@code UNPLUG_REPLUG}). */
public interface WireName {

  /** The spelling used in plan JSON. */
  String wireName();

  /**
   * Looks up a constant by its JSON spelling.
   *
   * @throws IllegalArgumentException naming every allowed spelling, so a user sees the fix at once
   */
  static <E extends Enum<E> & WireName> E parse(Class<E> type, String text) {
    for (E constant : type.getEnumConstants()) {
      if (constant.wireName().equals(text)) {
        return constant;
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not one of " + allowed(type));
  }

  /** The allowed spellings, for error messages: {@code "a", "b"}. */
  static <E extends Enum<E> & WireName> String allowed(Class<E> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(c -> "\"" + c.wireName() + "\"")
        .collect(Collectors.joining(", "));
  }
}
