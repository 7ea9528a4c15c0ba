package io.ferry.qmp;

/**
 * Told of every command's round trip: from the moment the command was written to the socket to
 * the moment its reply (a {@code return} or an {@code error}) was read. Commands that time out or
 * die with the connection are not reported: they have no round trip. Called on the connection's
 * event loop, so it must be quick and must never block (e.g. update a histogram).
 */
@FunctionalInterface
public interface QmpRoundTripListener {
  /** A listener that ignores everything. */
  QmpRoundTripListener NONE = (command, nanos, error) -> {};

  /**
   * @param command the command's name, e.g. {@code query-status}
   * @param nanos the round trip in nanoseconds
   * @param error true when QEMU answered with an {@code error}
   */
  void roundTrip(String command, long nanos, boolean error);
}
