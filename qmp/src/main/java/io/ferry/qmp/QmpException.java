package io.ferry.qmp;

/** Base of every failure the QMP client reports. Unchecked: futures carry it. */
public class QmpException extends RuntimeException {
  public QmpException(String message) {
    super(message);
  }

  public QmpException(String message, Throwable cause) {
    super(message, cause);
  }
}
