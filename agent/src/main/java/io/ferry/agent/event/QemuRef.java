package io.ferry.agent.event;

import java.util.Objects;

/**
 * The QEMU event behind a ferry event, with QEMU's own timestamp, so durations can be computed on
 * QEMU's clock rather than from when ferry reacted.
 *
 * @param side which QEMU emitted it
 * @param event QEMU's event name, e.g. {@code DEVICE_DELETED}
 * @param timestampMicros QEMU's timestamp in microseconds since the Unix epoch
 */
public record QemuRef(Side side, String event, long timestampMicros) {
  public QemuRef {
    Objects.requireNonNull(side, "side");
    Objects.requireNonNull(event, "event");
    if (event.isEmpty()) {
      throw new IllegalArgumentException("QEMU event name is empty");
    }
  }

  /** From QMP's {@code "timestamp": {"seconds": S, "microseconds": U}}. */
  public static QemuRef of(Side side, String event, long seconds, long microseconds) {
    return new QemuRef(side, event, Math.addExact(Math.multiplyExact(seconds, 1_000_000L),
        microseconds));
  }
}
