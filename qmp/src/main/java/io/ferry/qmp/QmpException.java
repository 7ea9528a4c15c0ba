package io.ferry.qmp;

/** Base of every failure the QMP client reports. Unchecked: futures carry it. */
public class QmpException extends RuntimeException {
  public QmpException(String message) {
    super(message);
  }

  public QmpException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * For expected outcomes that are reported often ({@link QmpCommandException}): without a
   * writable stack trace, creating one costs no stack walk.
   */
  protected QmpException(String message, Throwable cause, boolean writableStackTrace) {
    super(message, cause, true, writableStackTrace);
  }
}
