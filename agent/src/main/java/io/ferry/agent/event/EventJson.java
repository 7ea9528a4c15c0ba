package io.ferry.agent.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one NDJSON form of an event, used by every output (CLI, API stream, journal):
 *
 * <pre>{@code
 * {"migration":"m1","seq":3,"phase":"UNPLUG","kind":"qemu","device":"hostnet1",
 *  "time":{"wall":"2026-11-27T00:01:02.123456Z","monoNs":123456789},
 *  "qemu":{"side":"source","event":"DEVICE_DELETED","timestamp":1795737662123400},
 *  "detail":{}}
 * }</pre>
 *
 * Field order is fixed as above; {@code device} and {@code qemu} are left out when absent; {@code
 * detail} is always an object. {@code wall} is UTC with exactly six fractional digits; {@code
 * qemu.timestamp} is QEMU's event time in microseconds since the Unix epoch.
 */
public final class EventJson {

  private static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
              .build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final DateTimeFormatter WALL =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final Set<String> FIELDS =
      Set.of("migration", "seq", "phase", "kind", "device", "time", "qemu", "detail");

  private EventJson() {}

  /** The event as one line of JSON, without the line terminator. */
  public static String toLine(MigrationEvent e) {
    ObjectNode o = NODES.objectNode();
    o.put("migration", e.migration());
    o.put("seq", e.seq());
    o.put("phase", e.phase().name());
    o.put("kind", e.kind().wireName());
    e.device().ifPresent(d -> o.put("device", d));
    ObjectNode time = o.putObject("time");
    time.put("wall", formatWall(e.wall()));
    time.put("monoNs", e.monoNs());
    e.qemu().ifPresent(q -> {
      ObjectNode qemu = o.putObject("qemu");
      qemu.put("side", q.side().wireName());
      qemu.put("event", q.event());
      qemu.put("timestamp", q.timestampMicros());
    });
    o.set("detail", MAPPER.valueToTree(e.detail()));
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("an event tree always serialises", ex);
    }
  }

  /** {@code 2026-11-27T00:01:02.123456Z}. */
  public static String formatWall(Instant wall) {
    return WALL.format(wall);
  }

  /**
   * Parses one line written by {@link #toLine}.
   *
   * @throws EventFormatException naming the field that is missing, unknown or of the wrong type
   */
  public static MigrationEvent fromLine(String line) {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (JsonProcessingException ex) {
      throw new EventFormatException("not JSON: " + ex.getOriginalMessage(), ex);
    }
    if (root == null || !root.isObject()) {
      throw new EventFormatException("an event must be a JSON object");
    }
    try {
      onlyFields(root, "", FIELDS);
      JsonNode time = required(root, "time");
      onlyFields(time, "time.", Set.of("wall", "monoNs"));
      Optional<QemuRef> qemu = Optional.empty();
      if (root.has("qemu")) {
        JsonNode q = root.get("qemu");
        onlyFields(q, "qemu.", Set.of("side", "event", "timestamp"));
        qemu = Optional.of(new QemuRef(
            Side.fromWire(text(q, "side")), text(q, "event"), whole(q, "timestamp")));
      }
      JsonNode detail = required(root, "detail");
      if (!detail.isObject()) {
        throw new EventFormatException("\"detail\" must be an object");
      }
      return new MigrationEvent(
          text(root, "migration"),
          whole(root, "seq"),
          phase(text(root, "phase")),
          EventKind.fromWire(text(root, "kind")),
          root.has("device") ? Optional.of(text(root, "device")) : Optional.empty(),
          wall(text(time, "wall")),
          whole(time, "monoNs"),
          qemu,
          objectValue(detail));
    } catch (EventFormatException ex) {
      throw ex;
    } catch (IllegalArgumentException ex) {
      throw new EventFormatException(ex.getMessage(), ex);
    }
  }

  private static Phase phase(String text) {
    try {
      return Phase.valueOf(text);
    } catch (IllegalArgumentException ex) {
      throw new EventFormatException("'" + text + "' is not a phase");
    }
  }

  private static Instant wall(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException ex) {
      throw new EventFormatException("time.wall '" + text + "' is not an ISO-8601 instant");
    }
  }

  private static void onlyFields(JsonNode node, String prefix, Set<String> allowed) {
    if (!node.isObject()) {
      throw new EventFormatException("\"" + prefix.replace(".", "") + "\" must be an object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw new EventFormatException("unknown field \"" + prefix + name + "\"");
      }
    }
  }

  private static JsonNode required(JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null) {
      throw new EventFormatException("field \"" + name + "\" is missing");
    }
    return v;
  }

  private static String text(JsonNode node, String name) {
    JsonNode v = required(node, name);
    if (!v.isTextual()) {
      throw new EventFormatException("field \"" + name + "\" must be a string");
    }
    return v.textValue();
  }

  private static long whole(JsonNode node, String name) {
    JsonNode v = required(node, name);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new EventFormatException("field \"" + name + "\" must be a whole number");
    }
    return v.longValue();
  }

  /** JSON → the value types {@link EventDetail} normalises to. */
  private static Object value(JsonNode n) {
    return switch (n.getNodeType()) {
      case OBJECT -> objectValue(n);
      case ARRAY -> {
        List<Object> list = new ArrayList<>();
        n.forEach(item -> list.add(value(item)));
        yield list;
      }
      case STRING -> n.textValue();
      case BOOLEAN -> n.booleanValue();
      case NUMBER -> n.isIntegralNumber()
          ? (n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue())
          : (Object) n.doubleValue();
      case NULL -> null;
      default -> throw new EventFormatException("unexpected JSON value " + n);
    };
  }

  private static Map<String, Object> objectValue(JsonNode n) {
    Map<String, Object> map = new LinkedHashMap<>();
    n.properties().forEach(e -> map.put(e.getKey(), value(e.getValue())));
    return map;
  }
}
