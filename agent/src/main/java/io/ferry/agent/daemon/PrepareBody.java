package io.ferry.agent.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PrepareRequest;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The optional body of {@code POST /v1/devices/{bdf}/prepare}: the same settings as {@code ferry
 * devices prepare}'s options ({@code mac}, {@code vlan}, {@code spoofchk}, {@code trust}, {@code
 * allowNoIommu}). Unknown fields and wrong types are refused, so a typo never prepares a device
 * with defaults the caller did not mean.
 */
final class PrepareBody {
  private static final Set<String> FIELDS = Set.of("mac", "vlan", "spoofchk", "trust", "allowNoIommu");

  private PrepareBody() {}

  static PrepareRequest parse(PciAddress address, String contentType, byte[] body) {
    if (body.length == 0) {
      return PrepareRequest.of(address);
    }
    if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
      throw new ApiException(415, "unsupported_media_type",
          "prepare settings are JSON: send Content-Type: application/json, not " + contentType);
    }
    JsonNode root;
    try {
      root = ErrorBodies.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw invalid("the body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw invalid("the body cannot be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw invalid("the body must be a JSON object of prepare settings " + FIELDS);
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw invalid("unknown field '" + name + "'; known: " + FIELDS);
      }
    }
    try {
      return new PrepareRequest(address,
          Optional.ofNullable(text(root, "mac")),
          root.has("vlan") ? OptionalInt.of(integer(root, "vlan")) : OptionalInt.empty(),
          Optional.ofNullable(bool(root, "spoofchk")),
          Optional.ofNullable(bool(root, "trust")),
          Boolean.TRUE.equals(bool(root, "allowNoIommu")));
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw invalid("'" + field + "' must be a string");
    }
    return n.asText();
  }

  private static int integer(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw invalid("'" + field + "' must be an integer");
    }
    return n.intValue();
  }

  private static Boolean bool(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null) {
      return null;
    }
    if (!n.isBoolean()) {
      throw invalid("'" + field + "' must be true or false");
    }
    return n.booleanValue();
  }

  private static ApiException invalid(String message) {
    return new ApiException(400, "invalid_request", message);
  }
}
