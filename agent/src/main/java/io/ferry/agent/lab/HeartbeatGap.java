package io.ferry.agent.lab;

import java.time.Duration;

/**
 * The longest silence between two consecutive heartbeats: the guest-observed downtime.
 *
 * @param length time between the two arrivals
 * @param before the last heartbeat before the silence
 * @param after the first heartbeat after it
 */
public record HeartbeatGap(Duration length, Heartbeat before, Heartbeat after) {
  /** The guest lost no beat across the gap: the sequence simply continued. */
  public boolean sequenceContinuous() {
    return after.sequence() == before.sequence() + 1;
  }

  public boolean crossesSides() {
    return before.side() != after.side();
  }
}
