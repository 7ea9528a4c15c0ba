package io.ferry.qmp;

/** A command's, a connect's or an {@code awaitEvent}'s deadline passed. The connection stays usable. */
public final class QmpTimeoutException extends QmpException {
  public QmpTimeoutException(String message) {
    super(message);
  }
}
