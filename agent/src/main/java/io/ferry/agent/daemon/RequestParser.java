package io.ferry.agent.daemon;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.Mode;
import io.ferry.agent.plan.PlanParser;
import io.ferry.agent.plan.PlanProblem;
import io.ferry.agent.plan.PlanValidationException;
import io.ferry.vfio.PciAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one HTTP request (method, path, two headers, body) into an {@link ApiAction}, or refuses
 * it with an {@link ApiException}. The only place that knows the URL layout.
 */
public final class RequestParser {
  /** Largest request body accepted; bigger ones get 413 before they are read in full. */
  public static final int MAX_BODY_BYTES = PlanParser.MAX_BYTES;

  // Same rule as plan ids: anything else cannot name a migration, so it is a 404 at once.
  private static final String ID = "([A-Za-z0-9][A-Za-z0-9._-]{0,63})";
  private static final Pattern MIGRATION = Pattern.compile("/v1/migrations/" + ID);
  private static final Pattern CANCEL = Pattern.compile("/v1/migrations/" + ID + "/cancel");
  private static final Pattern EVENTS = Pattern.compile("/v1/migrations/" + ID + "/events");
  private static final Pattern INCOMING_STEP = Pattern.compile("/v1/incoming/" + ID + "/(plug|commit|abort|renew)");
  // Any segment, so that a malformed address is a 400 that says why rather than a bare 404.
  private static final Pattern DEVICE_ACTION = Pattern.compile("/v1/devices/([^/]*)/(prepare|release)");

  private RequestParser() {}

  /**
   * @param path the request target without its query string
   * @param contentType the Content-Type header, or null
   * @param accept the Accept header, or null
   */
  public static ApiAction parse(String method, String path, String contentType, String accept, byte[] body) {
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    Matcher m;
    switch (path) {
      case "/healthz" -> {
        return noBody(method, "GET", body, new ApiAction.Health());
      }
      case "/metrics" -> {
        return noBody(method, "GET", body, new ApiAction.Metrics());
      }
      case "/v1/devices" -> {
        return noBody(method, "GET", body, new ApiAction.ListDevices());
      }
      case "/v1/events" -> {
        return noBody(method, "GET", body, new ApiAction.StreamEvents(null, format(accept)));
      }
      case "/v1/migrations" -> {
        if (method.equals("GET")) {
          return noBody(method, "GET", body, new ApiAction.ListMigrations());
        }
        if (!method.equals("POST")) {
          throw notAllowed(method, "GET, POST");
        }
        return new ApiAction.StartMigration(plan(contentType, body));
      }
      case "/v1/incoming" -> {
        if (!method.equals("POST")) {
          throw notAllowed(method, "POST");
        }
        return new ApiAction.CreateIncoming(incomingPlan(plan(contentType, body)));
      }
      default -> { }
    }
    if ((m = INCOMING_STEP.matcher(path)).matches()) {
      String id = m.group(1);
      if (!method.equals("POST")) {
        throw notAllowed(method, "POST");
      }
      return switch (m.group(2)) {
        case "plug" -> new ApiAction.PlugIncoming(id, PlugRequest.parse(contentType, body));
        case "commit" -> noBody(method, "POST", body, new ApiAction.CommitIncoming(id));
        case "renew" -> noBody(method, "POST", body, new ApiAction.RenewIncoming(id));
        default -> noBody(method, "POST", body, new ApiAction.AbortIncoming(id));
      };
    }
    if ((m = CANCEL.matcher(path)).matches()) {
      return noBody(method, "POST", body, new ApiAction.CancelMigration(m.group(1)));
    }
    if ((m = EVENTS.matcher(path)).matches()) {
      return noBody(method, "GET", body, new ApiAction.StreamEvents(m.group(1), format(accept)));
    }
    if ((m = DEVICE_ACTION.matcher(path)).matches()) {
      return deviceAction(method, m.group(1), m.group(2), contentType, body);
    }
    if ((m = MIGRATION.matcher(path)).matches()) {
      return noBody(method, "GET", body, new ApiAction.GetMigration(m.group(1)));
    }
    throw new ApiException(404, "not_found", "no such endpoint: " + path);
  }

  private static ApiAction deviceAction(String method, String bdf, String verb, String contentType, byte[] body) {
    if (!method.equals("POST")) {
      throw notAllowed(method, "POST");
    }
    PciAddress address;
    try {
      address = PciAddress.parse(bdf);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "invalid_pci_address", e.getMessage());
    }
    if (verb.equals("release")) {
      return noBody(method, "POST", body, new ApiAction.ReleaseDevice(address));
    }
    return new ApiAction.PrepareDevice(PrepareBody.parse(address, contentType, body));
  }

  private static ApiAction noBody(String method, String expected, byte[] body, ApiAction action) {
    if (!method.equals(expected)) {
      throw notAllowed(method, expected);
    }
    if (body.length > 0) {
      throw new ApiException(400, "unexpected_body", method + " on this endpoint takes no body");
    }
    return action;
  }

  private static ApiException notAllowed(String method, String allowed) {
    return new ApiException(405, "method_not_allowed", method + " is not allowed here; use " + allowed);
  }

  private static StreamFormat format(String accept) {
    return accept != null && accept.contains("text/event-stream") ? StreamFormat.SSE : StreamFormat.NDJSON;
  }

  /**
   * A peer destination in failover mode waits for the standby of each primary, which it cannot
   * read from its QEMU (the primary is hidden there): the source names it in the device's
   * destination properties, as it does for every property it read on its side.
   */
  private static MigrationPlan incomingPlan(MigrationPlan plan) {
    if (plan.mode() != Mode.FAILOVER) {
      return plan;
    }
    List<Map<String, String>> problems = new ArrayList<>();
    for (int i = 0; i < plan.devices().size(); i++) {
      Object pair = plan.devices().get(i).destinationProperties().orElse(Map.of()).get("failover_pair_id");
      if (!(pair instanceof String standby) || standby.isEmpty()) {
        problems.add(Map.of("path", "$.devices[" + i + "].destination.failover_pair_id",
            "message", "is required by a peer destination in failover mode: the id of the primary's standby"));
      }
    }
    if (!problems.isEmpty()) {
      throw new ApiException(400, "invalid_plan", problems.size() + " problem(s) in the plan", problems);
    }
    return plan;
  }

  private static MigrationPlan plan(String contentType, byte[] body) {
    if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
      throw new ApiException(415, "unsupported_media_type",
          "a plan is JSON: send Content-Type: application/json, not " + contentType);
    }
    if (body.length == 0) {
      throw new ApiException(400, "invalid_plan", "the request body must be a migration plan (JSON)");
    }
    try {
      return PlanParser.parse(body);
    } catch (PlanValidationException e) {
      List<Map<String, String>> problems = e.problems().stream()
          .map((PlanProblem p) -> Map.of("path", p.path(), "message", p.message()))
          .toList();
      throw new ApiException(400, "invalid_plan",
          e.problems().size() + " problem(s) in the plan", problems);
    }
  }
}
