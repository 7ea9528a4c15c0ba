package io.ferry.agent.migration;

import java.time.Instant;
import java.util.Optional;

/**
 * How far a peer host's wall clock is ahead of this one's, estimated from one request the way NTP
 * does: this host's send and answer times and the peer's receive and reply times. The peer's time
 * spent handling the request (a commit waits for QEMU's RESUME) drops out; what remains uncertain
 * is how the network delay splits between the two directions, so the true offset lies within
 * {@code offsetUs ± uncertaintyUs}. QEMU stamps its events with the host's wall clock: a peer
 * QEMU's timestamp minus the offset is on this host's clock.
 */
public record ClockOffset(long offsetUs, long uncertaintyUs) {

  /**
   * From the four timestamps (µs since the epoch); empty when they cannot come from one exchange
   * (the answer before the send, or the peer replying before it received).
   */
  public static Optional<ClockOffset> of(long sentUs, long peerReceivedUs, long peerRepliedUs, long answeredUs) {
    if (answeredUs < sentUs || peerRepliedUs < peerReceivedUs) {
      return Optional.empty();
    }
    long offset = Math.floorDiv((peerReceivedUs - sentUs) + (peerRepliedUs - answeredUs), 2);
    // Clock granularity can make the handling time exceed the round trip by a microsecond or two.
    long delay = Math.max(0, (answeredUs - sentUs) - (peerRepliedUs - peerReceivedUs));
    return Optional.of(new ClockOffset(offset, (delay + 1) / 2));
  }

  /** This host's wall clock in µs since the epoch, the unit QEMU's event timestamps use. */
  public static long wallMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
