package io.ferry.qmp;

/**
 * Handed to {@link QmpEventListener#onClosed} when a subscriber fell behind: its bounded queue was
 * full when an event arrived, so the subscription was dropped rather than slowing QMP down or
 * losing events silently. Events queued before the overflow were still delivered.
 */
public final class QmpEventOverflowException extends QmpException {
  public QmpEventOverflowException(String message) {
    super(message);
  }
}
