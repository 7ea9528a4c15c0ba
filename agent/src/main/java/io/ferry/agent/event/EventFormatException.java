package io.ferry.agent.event;

/** A line is not a ferry event in the NDJSON shape. */
public final class EventFormatException extends IllegalArgumentException {
  public EventFormatException(String message) {
    super(message);
  }

  public EventFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
