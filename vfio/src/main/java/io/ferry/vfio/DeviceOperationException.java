package io.ferry.vfio;

import java.util.List;

/**
 * A prepare, release or recovery that did not complete. It says why, what had been done, what was
 * undone, and whether the device is back as it was found.
 */
public final class DeviceOperationException extends Exception {

  public enum Outcome {
    /** Refused before any change: the device is untouched. */
    REFUSED,
    /** Something was changed, then everything was undone: the device is as it was found. */
    RESTORED,
    /** The undo failed too: the device needs an operator; the steps say where it stands. */
    NOT_RESTORED
  }

  private final PciAddress device;
  private final Outcome outcome;
  private final String reason;
  private final List<String> done;
  private final List<String> undone;

  public DeviceOperationException(
      PciAddress device, Outcome outcome, String reason, List<String> done, List<String> undone, Throwable cause) {
    super(message(device, outcome, reason, done, undone), cause);
    this.device = device;
    this.outcome = outcome;
    this.reason = reason;
    this.done = List.copyOf(done);
    this.undone = List.copyOf(undone);
  }

  static DeviceOperationException refused(PciAddress device, String reason) {
    return new DeviceOperationException(device, Outcome.REFUSED, reason, List.of(), List.of(), null);
  }

  private static String message(
      PciAddress device, Outcome outcome, String reason, List<String> done, List<String> undone) {
    StringBuilder m = new StringBuilder(device.toString()).append(": ").append(reason);
    switch (outcome) {
      case REFUSED -> m.append(" (nothing was changed)");
      case RESTORED -> m.append(" (done: ").append(done).append("; undone: ").append(undone)
          .append("; the device is as it was found)");
      case NOT_RESTORED -> m.append(" (done: ").append(done).append("; undone: ").append(undone)
          .append("; the device is NOT back as it was found)");
    }
    return m.toString();
  }

  public PciAddress device() {
    return device;
  }

  public Outcome outcome() {
    return outcome;
  }

  public String reason() {
    return reason;
  }

  public List<String> done() {
    return done;
  }

  public List<String> undone() {
    return undone;
  }
}
