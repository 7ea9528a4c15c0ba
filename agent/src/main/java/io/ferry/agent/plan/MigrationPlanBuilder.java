package io.ferry.agent.plan;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a {@link MigrationPlan} in Java. {@link #build()} writes what was set into the plan's JSON
 * form and runs {@link PlanParser}'s validation on it, so a plan is valid by the same rules
 * whichever way it was made, and problems carry the same JSON paths. Unset fields get the parser's
 * defaults; unset required fields are reported like missing JSON fields.
 */
public final class MigrationPlanBuilder {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private String id;
  private Endpoint source;
  private Endpoint destination;
  private String uri;
  private Mode mode;
  private CommitPolicy commit;
  private final List<DevicePlan> devices = new ArrayList<>();
  private Duration unplugTimeout;
  private Duration migrationTimeout;
  private Duration replugTimeout;
  private Duration lease;
  private final Map<String, Boolean> capabilities = new LinkedHashMap<>();
  private final Map<String, Object> parameters = new LinkedHashMap<>();

  MigrationPlanBuilder() {}

  public MigrationPlanBuilder id(String id) {
    this.id = Objects.requireNonNull(id, "id");
    return this;
  }

  public MigrationPlanBuilder source(Endpoint source) {
    this.source = Objects.requireNonNull(source, "source");
    return this;
  }

  /** The source QEMU's QMP socket (a local endpoint). */
  public MigrationPlanBuilder source(Path qmp) {
    return source(Endpoint.local(qmp));
  }

  public MigrationPlanBuilder destination(Endpoint destination) {
    this.destination = Objects.requireNonNull(destination, "destination");
    return this;
  }

  /** The destination QEMU's QMP socket (a local endpoint). */
  public MigrationPlanBuilder destination(Path qmp) {
    return destination(Endpoint.local(qmp));
  }

  public MigrationPlanBuilder uri(MigrationUri uri) {
    this.uri = Objects.requireNonNull(uri, "uri").toQemuUri();
    return this;
  }

  /** The migration URI in QEMU's syntax ({@code unix:/path} or {@code tcp:HOST:PORT}). */
  public MigrationPlanBuilder uri(String uri) {
    this.uri = Objects.requireNonNull(uri, "uri");
    return this;
  }

  public MigrationPlanBuilder mode(Mode mode) {
    this.mode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  public MigrationPlanBuilder commit(CommitPolicy commit) {
    this.commit = Objects.requireNonNull(commit, "commit");
    return this;
  }

  public MigrationPlanBuilder device(DevicePlan device) {
    devices.add(Objects.requireNonNull(device, "device"));
    return this;
  }

  /** A mandatory device plugged back with its source properties. */
  public MigrationPlanBuilder device(String id) {
    return device(DevicePlan.sameAsSource(id, DevicePolicy.MANDATORY));
  }

  public MigrationPlanBuilder devices(List<DevicePlan> devices) {
    devices.forEach(this::device);
    return this;
  }

  public MigrationPlanBuilder timeouts(Timeouts timeouts) {
    Objects.requireNonNull(timeouts, "timeouts");
    unplugTimeout = timeouts.unplug();
    migrationTimeout = timeouts.migration();
    replugTimeout = timeouts.replug();
    lease = timeouts.lease().orElse(null);
    return this;
  }

  /** With a peer agent destination: how long it holds the incoming migration without a call. */
  public MigrationPlanBuilder lease(Duration lease) {
    this.lease = Objects.requireNonNull(lease, "lease");
    return this;
  }

  public MigrationPlanBuilder unplugTimeout(Duration timeout) {
    unplugTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  public MigrationPlanBuilder migrationTimeout(Duration timeout) {
    migrationTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  public MigrationPlanBuilder replugTimeout(Duration timeout) {
    replugTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /** Replaces the capabilities and parameters set so far. */
  public MigrationPlanBuilder migration(MigrationTuning tuning) {
    Objects.requireNonNull(tuning, "tuning");
    capabilities.clear();
    capabilities.putAll(tuning.capabilities());
    parameters.clear();
    parameters.putAll(tuning.parameters());
    return this;
  }

  public MigrationPlanBuilder capability(String name, boolean enabled) {
    capabilities.put(Objects.requireNonNull(name, "name"), enabled);
    return this;
  }

  /** A migration parameter: String, Boolean, or a number (integral values are kept as Long). */
  public MigrationPlanBuilder parameter(String name, Object value) {
    parameters.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Validates and builds.
   *
   * @throws PlanValidationException listing every problem, with the paths of the plan's JSON form
   */
  public MigrationPlan build() {
    ObjectNode o = NODES.objectNode();
    if (id != null) {
      o.put("id", id);
    }
    if (source != null) {
      o.set("source", PlanJson.endpoint(source));
    }
    if (destination != null) {
      o.set("destination", PlanJson.endpoint(destination));
    }
    if (uri != null) {
      o.put("uri", uri);
    }
    if (mode != null) {
      o.put("mode", mode.wireName());
    }
    if (commit != null) {
      o.put("commit", commit.wireName());
    }
    var deviceArray = o.putArray("devices");
    devices.forEach(d -> deviceArray.add(PlanJson.device(d)));
    ObjectNode timeouts = NODES.objectNode();
    if (unplugTimeout != null) {
      timeouts.put("unplug", DurationText.format(unplugTimeout));
    }
    if (migrationTimeout != null) {
      timeouts.put("migration", DurationText.format(migrationTimeout));
    }
    if (replugTimeout != null) {
      timeouts.put("replug", DurationText.format(replugTimeout));
    }
    if (lease != null) {
      timeouts.put("lease", DurationText.format(lease));
    }
    o.set("timeouts", timeouts);
    ObjectNode migration = o.putObject("migration");
    ObjectNode caps = migration.putObject("capabilities");
    capabilities.forEach(caps::put);
    migration.set("parameters", PlanJson.scalars(parameters));
    return PlanReader.read(o);
  }
}
