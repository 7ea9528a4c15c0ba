package io.ferry.qmp;

/**
 * The connection ended (QEMU exited, the socket was closed by either side, or the stream broke).
 * {@link #getCause()} tells why when there is more to say than the message: a {@link
 * QmpProtocolException} for a protocol violation, an {@code IOException} for a socket error.
 */
public final class QmpDisconnectedException extends QmpException {
  public QmpDisconnectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
