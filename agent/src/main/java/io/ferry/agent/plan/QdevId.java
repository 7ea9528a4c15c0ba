package io.ferry.agent.plan;

import java.util.regex.Pattern;

/**
 * QEMU's rule for device and bus ids ({@code id_wellformed} in QEMU's util/id.c): a letter, then
 * letters, digits, {@code -}, {@code .} or {@code _}. QEMU itself rejects anything else, so the
 * plan fails early instead of in the middle of an unplug.
 */
public final class QdevId {

  /** Long enough for any real id; guards log lines and event fields against megabyte ids. */
  public static final int MAX_LENGTH = 128;

  private static final Pattern SYNTAX = Pattern.compile("[A-Za-z][A-Za-z0-9._-]*");

  private QdevId() {}

  /** @throws IllegalArgumentException saying what QEMU accepts */
  public static String requireValid(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "id is " + text.length() + " characters long; at most " + MAX_LENGTH + " are allowed");
    }
    if (!SYNTAX.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a valid QEMU id: it must start with a letter and contain only"
              + " letters, digits, '-', '.' and '_'");
    }
    return text;
  }
}
