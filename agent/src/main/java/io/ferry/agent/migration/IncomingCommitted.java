package io.ferry.agent.migration;

import java.util.List;

/**
 * A peer destination's answer once the guest runs there.
 *
 * @param resumedAtMicros QEMU's RESUME timestamp, µs since the epoch on the destination's clock
 * @param failover each primary's negotiation (failover mode; empty otherwise)
 */
public record IncomingCommitted(long resumedAtMicros, List<FailoverNegotiation> failover) {
  public IncomingCommitted {
    failover = List.copyOf(failover);
  }
}
