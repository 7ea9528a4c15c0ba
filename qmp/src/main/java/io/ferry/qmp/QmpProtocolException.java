package io.ferry.qmp;

/**
 * The peer broke the protocol: a frame over the size cap, bytes that are not JSON (or not UTF-8),
 * JSON nested too deep, an unexpected message, or an error without an id (the stream is out of
 * sync). The client closes the connection; this is the cause of the resulting disconnect.
 */
public final class QmpProtocolException extends QmpException {
  public QmpProtocolException(String message) {
    super(message);
  }

  public QmpProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
