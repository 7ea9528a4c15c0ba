package io.ferry.agent.daemon;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.plan.PciAddress;
import io.ferry.agent.plan.QdevId;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /v1/incoming/{id}/plug}: {@code {"devices": {"<qdev id>": {<device_add
 * properties without id>}}}}. Property values are JSON scalars; {@code driver} is required,
 * {@code id} is the key.
 */
final class PlugRequest {
  private static final int MAX_DEVICES = 256;
  private static final Pattern PROPERTY = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
  // Devices, then properties, then a scalar: anything deeper is not a plug request.
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4).build())
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private PlugRequest() {}

  static Map<String, Map<String, Object>> parse(String contentType, byte[] body) {
    if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
      throw invalid("send Content-Type: application/json, not " + contentType);
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw invalid("the body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw invalid("the body cannot be read: " + e.getMessage());
    }
    if (root == null || !root.isObject() || root.size() != 1 || !root.path("devices").isObject()) {
      throw invalid("the body must be {\"devices\": {\"<id>\": {\"driver\": ..., ...}}} and nothing else");
    }
    JsonNode devices = root.get("devices");
    if (devices.size() > MAX_DEVICES) {
      throw invalid("at most " + MAX_DEVICES + " devices");
    }
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> device : devices.properties()) {
      String id = device.getKey();
      try {
        QdevId.requireValid(id);
      } catch (IllegalArgumentException e) {
        throw invalid("$.devices: " + e.getMessage());
      }
      out.put(id, properties(id, device.getValue()));
    }
    return out;
  }

  private static Map<String, Object> properties(String id, JsonNode node) {
    String at = "$.devices." + id;
    if (!node.isObject()) {
      throw invalid(at + " must be an object of device_add properties");
    }
    if (!node.path("driver").isTextual()) {
      throw invalid(at + ".driver is required (a string)");
    }
    Map<String, Object> props = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> p : node.properties()) {
      String name = p.getKey();
      JsonNode v = p.getValue();
      if (name.equals("id") || !PROPERTY.matcher(name).matches()) {
        throw invalid(at + ": '" + name + "' is not an allowed property name (the device's id is its key)");
      }
      Object value;
      if (v.isTextual()) {
        value = v.textValue();
      } else if (v.isIntegralNumber() && v.canConvertToLong()) {
        value = v.longValue();
      } else if (v.isFloatingPointNumber()) {
        value = v.doubleValue();
      } else if (v.isBoolean()) {
        value = v.booleanValue();
      } else {
        throw invalid(at + "." + name + " must be a string, number or boolean");
      }
      if (name.equals("host")) {
        try {
          PciAddress.requireValid(v.asText());
        } catch (IllegalArgumentException e) {
          throw invalid(at + ".host: " + e.getMessage());
        }
      }
      props.put(name, value);
    }
    return props;
  }

  private static ApiException invalid(String message) {
    return new ApiException(400, "invalid_plug_request", message);
  }
}
