package io.ferry.agent.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns a JSON tree into a {@link MigrationPlan}, checking every field by hand so that all
 * problems are collected with their paths rather than stopping at the first.
 */
final class PlanReader {

  /** More ephemeral devices than this is not a real VM (a q35 has far fewer root ports). */
  static final int MAX_DEVICES = 256;

  private static final Set<String> PLAN_FIELDS =
      Set.of("id", "source", "destination", "uri", "mode", "commit", "devices", "timeouts",
          "migration");
  private static final Set<String> ENDPOINT_FIELDS = Set.of("qmp", "agent");
  private static final Set<String> DEVICE_FIELDS = Set.of("id", "policy", "destination");
  private static final Set<String> TIMEOUT_FIELDS = Set.of("unplug", "migration", "replug", "lease");
  private static final Set<String> TUNING_FIELDS = Set.of("capabilities", "parameters");

  // QAPI enum and member names for migration capabilities and parameters.
  private static final Pattern QAPI_NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  private final Problems problems = new Problems();
  private final TreeChecks tree = new TreeChecks(problems);

  private PlanReader() {}

  /** @throws PlanValidationException with every problem found */
  static MigrationPlan read(JsonNode root) {
    return new PlanReader().plan(root);
  }

  /** Reads a tree that may already have problems (from the JSON reader), then throws them all. */
  static MigrationPlan read(JsonNode root, Problems earlier) {
    PlanReader reader = new PlanReader();
    earlier.list().forEach(p -> reader.problems.add(p.path(), p.message()));
    return reader.plan(root);
  }

  private MigrationPlan plan(JsonNode root) {
    String at = JsonPath.ROOT;
    ObjectNode o = tree.object(root, at);
    if (o == null) {
      problems.throwIfAny();
      throw new IllegalStateException("unreachable: a non-object plan always has a problem");
    }
    tree.onlyFields(o, at, PLAN_FIELDS);
    String id =
        tree.optionalText(o, at, "id")
            .map(v -> problems.check(JsonPath.field(at, "id"), v, PlanValueRules::planId))
            .orElseGet(() -> UUID.randomUUID().toString());
    Endpoint source = endpoint(o, at, "source");
    Endpoint destination = endpoint(o, at, "destination");
    MigrationUri uri =
        tree.requiredText(o, at, "uri")
            .map(v -> problems.check(JsonPath.field(at, "uri"), v, MigrationUri::parse))
            .orElse(null);
    Mode mode = tree.enumField(o, at, "mode", Mode.class, Mode.UNPLUG_REPLUG);
    CommitPolicy commit = tree.enumField(o, at, "commit", CommitPolicy.class, CommitPolicy.AFTER_REPLUG);
    List<DevicePlan> devices = devices(o, at);
    Timeouts timeouts = timeouts(o, at);
    MigrationTuning tuning = tuning(o, at);
    EndpointChecks.crossChecks(problems, source, destination, uri);
    EndpointChecks.peerChecks(problems, source, destination, uri);
    if (timeouts != null && timeouts.lease().isPresent() && destination != null && destination.agent().isEmpty()) {
      problems.add("$.timeouts.lease", "applies only to a peer agent destination (destination.agent):"
          + " it is how long that agent holds the incoming migration without hearing from the source");
    }
    problems.throwIfAny();
    return new MigrationPlan(
        id, source, destination, uri, mode, commit, devices, timeouts, tuning);
  }

  // ---- sections

  private Endpoint endpoint(ObjectNode parent, String parentPath, String name) {
    String at = JsonPath.field(parentPath, name);
    JsonNode node = parent.get(name);
    if (node == null) {
      problems.add(at, "is required: an object with the QEMU's \"qmp\" socket path");
      return null;
    }
    ObjectNode o = tree.object(node, at);
    if (o == null) {
      return null;
    }
    tree.onlyFields(o, at, ENDPOINT_FIELDS);
    Path qmp =
        tree.requiredText(o, at, "qmp")
            .map(v -> problems.check(JsonPath.field(at, "qmp"), v, UnixSocketPath::requireValid))
            .orElse(null);
    Optional<URI> agent =
        tree.optionalText(o, at, "agent")
            .map(v -> problems.check(JsonPath.field(at, "agent"), v, PlanValueRules::agentUri));
    if (qmp == null) {
      return null;
    }
    return new Endpoint(qmp, agent);
  }

  private List<DevicePlan> devices(ObjectNode plan, String planPath) {
    String at = JsonPath.field(planPath, "devices");
    JsonNode node = plan.get("devices");
    if (node == null) {
      return List.of(); // a plain migration, as ferry bench's "plain" mode runs it
    }
    if (!node.isArray()) {
      tree.wrongType(at, node, "an array of devices");
      return List.of();
    }
    if (node.size() > MAX_DEVICES) {
      problems.add(at, "has " + node.size() + " devices; at most " + MAX_DEVICES + " are allowed");
      return List.of();
    }
    List<DevicePlan> devices = new ArrayList<>();
    Map<String, Integer> firstIndexById = new HashMap<>();
    for (int i = 0; i < node.size(); i++) {
      String deviceAt = JsonPath.index(at, i);
      // Duplicates are checked on the raw id, so they are found even in devices with other problems.
      JsonNode rawId = node.get(i).get("id");
      if (rawId != null && rawId.isTextual()) {
        Integer first = firstIndexById.putIfAbsent(rawId.textValue(), i);
        if (first != null) {
          problems.add(
              JsonPath.field(deviceAt, "id"),
              "duplicate device id '" + rawId.textValue() + "' (also at "
                  + JsonPath.index(at, first) + ")");
          continue;
        }
      }
      DevicePlan device = device(node.get(i), deviceAt);
      if (device != null) {
        devices.add(device);
      }
    }
    return devices;
  }

  private DevicePlan device(JsonNode node, String at) {
    ObjectNode o = tree.object(node, at);
    if (o == null) {
      return null;
    }
    tree.onlyFields(o, at, DEVICE_FIELDS);
    String id =
        tree.requiredText(o, at, "id")
            .map(v -> problems.check(JsonPath.field(at, "id"), v, QdevId::requireValid))
            .orElse(null);
    DevicePolicy policy = tree.enumField(o, at, "policy", DevicePolicy.class, DevicePolicy.MANDATORY);
    Optional<Map<String, Object>> destination = Optional.empty();
    JsonNode props = o.get("destination");
    if (props != null) {
      destination = Optional.ofNullable(deviceProperties(props, JsonPath.field(at, "destination")));
      if (destination.isEmpty()) {
        return null;
      }
    }
    if (id == null || policy == null) {
      return null;
    }
    return new DevicePlan(id, policy, destination);
  }

  private Map<String, Object> deviceProperties(JsonNode node, String at) {
    ObjectNode o = tree.object(node, at);
    if (o == null) {
      return null;
    }
    boolean ok = true;
    Map<String, Object> props = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : o.properties()) {
      String name = e.getKey();
      String propAt = JsonPath.field(at, name);
      if (name.equals("id")) {
        problems.add(propAt, "must not be set: the device keeps the id given in the plan");
        ok = false;
        continue;
      }
      if (!PlanValueRules.QOM_NAME.matcher(name).matches()) {
        problems.add(propAt, "'" + name + "' is not a device property name (a letter, then"
            + " letters, digits, '-', '.', '_'; at most 64 characters)");
        ok = false;
        continue;
      }
      Object value = tree.scalar(e.getValue(), propAt);
      if (value == null) {
        ok = false;
        continue;
      }
      Object checked =
          switch (name) {
            case "driver" -> textProperty(value, propAt, PlanValueRules::driverName);
            case "host" -> textProperty(value, propAt, PciAddress::requireValid);
            case "bus" -> textProperty(value, propAt, QdevId::requireValid);
            default -> value;
          };
      if (checked == null) {
        ok = false;
        continue;
      }
      props.put(name, checked);
    }
    if (!o.has("driver")) {
      problems.add(JsonPath.field(at, "driver"), "is required when destination properties are"
          + " given (omit \"destination\" to copy the source device's properties)");
      ok = false;
    }
    return ok ? props : null;
  }

  private Object textProperty(Object value, String at, Function<String, String> rule) {
    if (!(value instanceof String text)) {
      problems.add(at, "must be a string");
      return null;
    }
    return problems.check(at, text, rule);
  }

  private Timeouts timeouts(ObjectNode plan, String planPath) {
    String at = JsonPath.field(planPath, "timeouts");
    JsonNode node = plan.get("timeouts");
    if (node == null) {
      return Timeouts.defaults();
    }
    ObjectNode o = tree.object(node, at);
    if (o == null) {
      return null;
    }
    tree.onlyFields(o, at, TIMEOUT_FIELDS);
    Duration unplug = duration(o, at, "unplug", Timeouts.DEFAULT_UNPLUG);
    Duration migration = duration(o, at, "migration", Timeouts.DEFAULT_MIGRATION);
    Duration replug = duration(o, at, "replug", Timeouts.DEFAULT_REPLUG);
    Duration lease = o.has("lease") ? duration(o, at, "lease", null) : null;
    if (lease != null && (lease.compareTo(Timeouts.MIN_LEASE) < 0 || lease.compareTo(Timeouts.MAX_LEASE) > 0)) {
      problems.add(JsonPath.field(at, "lease"), "must be between " + DurationText.format(Timeouts.MIN_LEASE)
          + " and " + DurationText.format(Timeouts.MAX_LEASE) + ", got " + DurationText.format(lease));
      return null;
    }
    if (unplug == null || migration == null || replug == null || (o.has("lease") && lease == null)) {
      return null;
    }
    return new Timeouts(unplug, migration, replug, java.util.Optional.ofNullable(lease));
  }

  private Duration duration(ObjectNode o, String parentPath, String name, Duration fallback) {
    if (!o.has(name)) {
      return fallback;
    }
    return tree.optionalText(o, parentPath, name)
        .map(v -> problems.check(JsonPath.field(parentPath, name), v, DurationText::parse))
        .orElse(null);
  }

  private MigrationTuning tuning(ObjectNode plan, String planPath) {
    String at = JsonPath.field(planPath, "migration");
    JsonNode node = plan.get("migration");
    if (node == null) {
      return MigrationTuning.defaults();
    }
    ObjectNode o = tree.object(node, at);
    if (o == null) {
      return null;
    }
    tree.onlyFields(o, at, TUNING_FIELDS);
    Map<String, Boolean> capabilities = capabilities(o.get("capabilities"),
        JsonPath.field(at, "capabilities"));
    Map<String, Object> parameters = parameters(o.get("parameters"),
        JsonPath.field(at, "parameters"));
    if (capabilities == null || parameters == null) {
      return null;
    }
    return new MigrationTuning(capabilities, parameters);
  }

  private Map<String, Boolean> capabilities(JsonNode node, String at) {
    Map<String, Boolean> result = new LinkedHashMap<>();
    if (node == null) {
      return result;
    }
    ObjectNode o = tree.object(node, at);
    if (o == null) {
      return null;
    }
    boolean ok = true;
    for (Map.Entry<String, JsonNode> e : o.properties()) {
      String capAt = JsonPath.field(at, e.getKey());
      if (!qapiName(e.getKey(), capAt, "migration capability")) {
        ok = false;
      } else if (!e.getValue().isBoolean()) {
        tree.wrongType(capAt, e.getValue(), "a boolean");
        ok = false;
      } else if (e.getKey().equals("events") && !e.getValue().booleanValue()) {
        problems.add(capAt, "cannot be false: ferry follows the migration through QEMU's"
            + " MIGRATION events and always turns them on");
        ok = false;
      } else {
        result.put(e.getKey(), e.getValue().booleanValue());
      }
    }
    return ok ? result : null;
  }

  private Map<String, Object> parameters(JsonNode node, String at) {
    Map<String, Object> result = new LinkedHashMap<>();
    boolean ok = true;
    if (node != null) {
      ObjectNode o = tree.object(node, at);
      if (o == null) {
        return null;
      }
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        String paramAt = JsonPath.field(at, e.getKey());
        if (!qapiName(e.getKey(), paramAt, "migration parameter")) {
          ok = false;
          continue;
        }
        Object value = tree.scalar(e.getValue(), paramAt);
        Object checked =
            value == null
                ? null
                : switch (e.getKey()) {
                  case "max-bandwidth" ->
                      wholeNumber(value, paramAt, 0, Long.MAX_VALUE, "bytes per second");
                  case "downtime-limit" ->
                      wholeNumber(value, paramAt, 0, MigrationTuning.MAX_DOWNTIME_LIMIT_MS,
                          "milliseconds");
                  default -> value;
                };
        if (checked == null) {
          ok = false;
          continue;
        }
        result.put(e.getKey(), checked);
      }
    }
    result.putIfAbsent("max-bandwidth", MigrationTuning.DEFAULT_MAX_BANDWIDTH);
    return ok ? result : null;
  }

  private Long wholeNumber(Object value, String at, long min, long max, String unit) {
    if (value instanceof Long n && n >= min && n <= max) {
      return n;
    }
    problems.add(at, "must be a whole number of " + unit + " from " + min + " to " + max);
    return null;
  }

  private boolean qapiName(String name, String at, String what) {
    if (QAPI_NAME.matcher(name).matches()) {
      return true;
    }
    problems.add(at, "'" + name + "' is not a " + what + " name (lowercase letters, digits and"
        + " '-', starting with a letter, as QEMU spells them)");
    return false;
  }

}
