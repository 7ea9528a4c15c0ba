package io.ferry.agent.event;

import java.util.Locale;

/** Which QEMU a QEMU event came from. Lower-case on the wire. */
public enum Side {
  SOURCE,
  DESTINATION;

  private final String wireName = name().toLowerCase(Locale.ROOT);

  public String wireName() {
    return wireName;
  }

  /** @throws IllegalArgumentException for anything but {@code source} or {@code destination} */
  public static Side fromWire(String text) {
    for (Side s : values()) {
      if (s.wireName.equals(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not a side; allowed: source, destination");
  }
}
