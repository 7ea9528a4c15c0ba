package io.ferry.qmp;

/** QEMU's own event time (host wall clock as QEMU read it), kept so durations use QEMU's clock. */
public record QmpTimestamp(long seconds, long microseconds) {
  public long epochMicros() {
    return seconds * 1_000_000L + microseconds;
  }
}
