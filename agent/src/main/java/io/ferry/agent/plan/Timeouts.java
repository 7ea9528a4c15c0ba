package io.ferry.agent.plan;

import java.time.Duration;
import java.util.Objects;

/** The deadlines of the bounded phases. */
public record Timeouts(Duration unplug, Duration migration, Duration replug) {

  public static final Duration DEFAULT_UNPLUG = Duration.ofSeconds(10);
  public static final Duration DEFAULT_MIGRATION = Duration.ofMinutes(10);
  public static final Duration DEFAULT_REPLUG = Duration.ofSeconds(5);

  public Timeouts {
    Objects.requireNonNull(unplug, "unplug");
    Objects.requireNonNull(migration, "migration");
    Objects.requireNonNull(replug, "replug");
  }

  /** 10s unplug, 10m migration, 5s replug. */
  public static Timeouts defaults() {
    return new Timeouts(DEFAULT_UNPLUG, DEFAULT_MIGRATION, DEFAULT_REPLUG);
  }
}
