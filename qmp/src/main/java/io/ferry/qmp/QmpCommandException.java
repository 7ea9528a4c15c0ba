package io.ferry.qmp;

/** QEMU answered a command with {@code {"error": {"class": ..., "desc": ...}}}. */
public final class QmpCommandException extends QmpException {
  private final String command;
  private final String errorClass;
  private final String description;

  public QmpCommandException(String command, String errorClass, String description) {
    // No stack trace: an error answer is an expected outcome (preflight's qom-get of properties
    // that may not exist, on every migration), filling the trace showed up in the I/O thread's
    // profile, and it would only point into the decoder, not at the caller of the async command.
    super(command + " failed: " + errorClass + ": " + description, null, false);
    this.command = command;
    this.errorClass = errorClass;
    this.description = description;
  }

  public String command() {
    return command;
  }

  /** QEMU's error class, e.g. {@code GenericError}, {@code DeviceNotFound}, {@code CommandNotFound}. */
  public String errorClass() {
    return errorClass;
  }

  public String description() {
    return description;
  }
}
