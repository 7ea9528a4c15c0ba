package io.ferry.agent.plan;

import java.util.List;
import java.util.Objects;

/**
 * A validated description of one migration. Obtain one from {@link PlanParser} (JSON) or {@link
 * #builder()} (Java); both run the same validation and report every problem at once. The canonical
 * constructor only checks for nulls: call {@link PlanValidation#check(MigrationPlan)} on a plan
 * built by hand before acting on it.
 */
public record MigrationPlan(
    String id,
    Endpoint source,
    Endpoint destination,
    MigrationUri uri,
    Mode mode,
    CommitPolicy commit,
    List<DevicePlan> devices,
    Timeouts timeouts,
    MigrationTuning migration) {

  public MigrationPlan {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(commit, "commit");
    devices = List.copyOf(devices);
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(migration, "migration");
  }

  /** A builder whose {@code build()} validates exactly like {@link PlanParser}. */
  public static MigrationPlanBuilder builder() {
    return new MigrationPlanBuilder();
  }
}
