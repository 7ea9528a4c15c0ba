package io.ferry.agent.lab;

/** The lab guest could not be obtained; the message says what to do about it. */
public final class GuestBuildException extends RuntimeException {
  public GuestBuildException(String message) {
    super(message);
  }

  public GuestBuildException(String message, Throwable cause) {
    super(message, cause);
  }
}
