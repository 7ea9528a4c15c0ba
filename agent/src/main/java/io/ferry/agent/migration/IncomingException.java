package io.ferry.agent.migration;

/**
 * An incoming-migration request refused or failed on the destination: {@code code} is stable
 * (the HTTP edge passes it on), the message is for people.
 */
public final class IncomingException extends RuntimeException {
  /** What kind of refusal, which the HTTP edge turns into a status. */
  public enum Kind {
    /** No incoming migration with that id. */
    NOT_FOUND,
    /** The request does not fit the incoming's state (or the destination QEMU's). */
    CONFLICT,
    /** The destination QEMU or a device failed to do what was asked. */
    FAILED
  }

  private final Kind kind;
  private final String code;

  public IncomingException(Kind kind, String code, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.code = code;
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }
}
