package io.ferry.agent.lab;

/** A lab VM could not be started or did not behave as the lab expects. */
public final class LabException extends RuntimeException {
  public LabException(String message) {
    super(message);
  }

  public LabException(String message, Throwable cause) {
    super(message, cause);
  }
}
