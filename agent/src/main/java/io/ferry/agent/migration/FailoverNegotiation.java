package io.ferry.agent.migration;

/**
 * One failover primary on a peer destination: QEMU reported FAILOVER_NEGOTIATED for its standby
 * at {@code negotiatedAtMicros} (µs since the epoch, the destination host's clock), or {@code
 * error} says why it did not.
 */
public record FailoverNegotiation(String primary, String standby, Long negotiatedAtMicros, String error) {
  public boolean negotiated() {
    return negotiatedAtMicros != null;
  }
}
