package io.ferry.qmp;

/**
 * Receives events of one subscription, in QEMU's order, on a delivery thread of its own (never the
 * I/O thread), so a slow listener delays nobody but itself.
 */
@FunctionalInterface
public interface QmpEventListener {
  void onEvent(QmpEvent event);

  /**
   * Called once, after the last event, when the subscription ends without the subscriber asking:
   * {@link QmpDisconnectedException} when the connection ended, {@link QmpEventOverflowException}
   * when this subscriber's queue overflowed, or the exception {@link #onEvent} threw.
   */
  default void onClosed(Throwable reason) {}
}
