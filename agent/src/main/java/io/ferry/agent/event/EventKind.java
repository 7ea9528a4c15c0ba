package io.ferry.agent.event;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What an event reports. Lower-case on the wire ({@code "kind":"started"}). */
public enum EventKind {
  /** A phase (or, with a device, a device's step in that phase) began. */
  STARTED,
  /** A figure moved: RAM transferred, devices left to unplug. */
  PROGRESS,
  /** A phase or a device step ended well. */
  COMPLETED,
  /** A phase or a device step ended badly; {@code detail.reason} says why. */
  FAILED,
  /** Something the operator should know that does not change the course of the migration. */
  WARNING,
  /** A QEMU event ferry acted on; {@code qemu} carries QEMU's side, name and timestamp. */
  QEMU,
  /** The last event of a migration (phase {@link Phase#DONE}): result, reason and figures. */
  RESULT;

  private final String wireName = name().toLowerCase(Locale.ROOT);

  public String wireName() {
    return wireName;
  }

  /** @throws IllegalArgumentException listing the allowed kinds */
  public static EventKind fromWire(String text) {
    for (EventKind k : values()) {
      if (k.wireName.equals(text)) {
        return k;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not an event kind; allowed: "
        + Arrays.stream(values()).map(EventKind::wireName).collect(Collectors.joining(", ")));
  }
}
