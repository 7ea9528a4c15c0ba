package io.ferry.agent.plan;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plan's duration syntax: a positive whole number and one unit out of {@code ms}, {@code s},
 * {@code m}, {@code h} ({@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}), at most {@link #MAX}.
 * One unit only and no fractions, so a value reads the same to every user.
 */
public final class DurationText {

  /** Longest accepted timeout: a migration deadline beyond a day is a mistake, not a plan. */
  public static final Duration MAX = Duration.ofHours(24);

  private static final Pattern SYNTAX = Pattern.compile("([1-9][0-9]{0,9})(ms|s|m|h)");

  private DurationText() {}

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException with a message that says what is accepted
   */
  public static Duration parse(String text) {
    Matcher m = SYNTAX.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration: expected a positive whole number followed by ms, s, m"
              + " or h (e.g. 500ms, 10s, 2m, 1h)");
    }
    long amount = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          case "m" -> Duration.ofMinutes(amount);
          case "h" -> Duration.ofHours(amount);
          default -> throw new AssertionError(m.group(2));
        };
    if (d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("'" + text + "' is longer than the maximum of 24h");
    }
    return d;
  }

  /**
   * Formats a duration in the largest unit that represents it exactly, so {@code parse(format(d))}
   * equals {@code d} for every duration {@link #parse} can return. A duration that is not a whole
   * number of milliseconds is written in nanoseconds ({@code 1500ns}), which {@link #parse} rejects
   * with its usual message: the plan only speaks milliseconds and up.
   */
  public static String format(Duration d) {
    if (d.isNegative() || d.isZero()) {
      return d.toMillis() + "ms";
    }
    if (d.getNano() % 1_000_000 != 0) {
      return d.toNanos() + "ns";
    }
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
