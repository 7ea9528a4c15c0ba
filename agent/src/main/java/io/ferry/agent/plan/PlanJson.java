package io.ferry.agent.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Writes a plan back as JSON, with every default spelled out, such that {@link
 * PlanParser#parse(String)} of the output equals the plan.
 */
public final class PlanJson {

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private PlanJson() {}

  /** The plan as indented JSON. */
  public static String write(MigrationPlan plan) {
    try {
      return MAPPER.writeValueAsString(toTree(plan));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a plan tree always serialises", e);
    }
  }

  /** The plan as a JSON tree in the plan format. */
  public static ObjectNode toTree(MigrationPlan plan) {
    ObjectNode o = NODES.objectNode();
    o.put("id", plan.id());
    o.set("source", endpoint(plan.source()));
    o.set("destination", endpoint(plan.destination()));
    o.put("uri", plan.uri().toQemuUri());
    o.put("mode", plan.mode().wireName());
    o.put("commit", plan.commit().wireName());
    var devices = o.putArray("devices");
    for (DevicePlan d : plan.devices()) {
      devices.add(device(d));
    }
    o.set("timeouts", timeouts(plan.timeouts()));
    o.set("migration", tuning(plan.migration()));
    return o;
  }

  static ObjectNode endpoint(Endpoint e) {
    ObjectNode o = NODES.objectNode();
    o.put("qmp", e.qmp().toString());
    e.agent().ifPresent(a -> o.put("agent", a.toString()));
    return o;
  }

  static ObjectNode device(DevicePlan d) {
    ObjectNode o = NODES.objectNode();
    o.put("id", d.id());
    o.put("policy", d.policy().wireName());
    d.destinationProperties().ifPresent(p -> o.set("destination", scalars(p)));
    return o;
  }

  static ObjectNode timeouts(Timeouts t) {
    ObjectNode o = NODES.objectNode();
    o.put("unplug", DurationText.format(t.unplug()));
    o.put("migration", DurationText.format(t.migration()));
    o.put("replug", DurationText.format(t.replug()));
    t.lease().ifPresent(l -> o.put("lease", DurationText.format(l)));
    return o;
  }

  static ObjectNode tuning(MigrationTuning m) {
    ObjectNode o = NODES.objectNode();
    ObjectNode caps = o.putObject("capabilities");
    m.capabilities().forEach(caps::put);
    o.set("parameters", scalars(m.parameters()));
    return o;
  }

  /**
   * Maps String/Boolean/integral/floating values to JSON; anything else becomes a POJO node, which
   * the validator rejects with its Java type in the message.
   */
  static ObjectNode scalars(Map<String, ?> values) {
    ObjectNode o = NODES.objectNode();
    values.forEach(
        (k, v) -> {
          if (v == null) {
            o.putNull(k);
          } else if (v instanceof String s) {
            o.put(k, s);
          } else if (v instanceof Boolean b) {
            o.put(k, b);
          } else if (v instanceof Long || v instanceof Integer || v instanceof Short
              || v instanceof Byte) {
            o.put(k, ((Number) v).longValue());
          } else if (v instanceof Double || v instanceof Float) {
            o.put(k, ((Number) v).doubleValue());
          } else {
            o.putPOJO(k, v);
          }
        });
    return o;
  }
}
