package io.ferry.agent.plan;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The deadlines of the bounded phases, and with a peer agent destination the lease that agent
 * holds the incoming migration by (empty: the destination daemon's {@code --incoming-lease}).
 */
public record Timeouts(Duration unplug, Duration migration, Duration replug, Optional<Duration> lease) {

  public static final Duration DEFAULT_UNPLUG = Duration.ofSeconds(10);
  public static final Duration DEFAULT_MIGRATION = Duration.ofMinutes(10);
  public static final Duration DEFAULT_REPLUG = Duration.ofSeconds(5);
  /** The bounds of a plan's own lease: at least a renewal's round trip, at most an hour. */
  public static final Duration MIN_LEASE = Duration.ofSeconds(3);
  public static final Duration MAX_LEASE = Duration.ofHours(1);

  public Timeouts {
    Objects.requireNonNull(unplug, "unplug");
    Objects.requireNonNull(migration, "migration");
    Objects.requireNonNull(replug, "replug");
    Objects.requireNonNull(lease, "lease");
  }

  /** The phase deadlines, and the destination daemon's own lease. */
  public Timeouts(Duration unplug, Duration migration, Duration replug) {
    this(unplug, migration, replug, Optional.empty());
  }

  /** 10s unplug, 10m migration, 5s replug. */
  public static Timeouts defaults() {
    return new Timeouts(DEFAULT_UNPLUG, DEFAULT_MIGRATION, DEFAULT_REPLUG);
  }
}
