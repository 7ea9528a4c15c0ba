package io.ferry.agent.daemon;

import io.ferry.agent.migration.ClockOffset;
import io.ferry.agent.migration.FailoverNegotiation;
import io.ferry.agent.migration.Incoming;
import io.ferry.agent.migration.IncomingCommitted;
import io.ferry.agent.migration.IncomingException;
import io.ferry.agent.migration.Incomings;
import io.ferry.agent.migration.PlugResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The peer side of the API (this host as a migration's destination): turns the incoming actions
 * into {@link Incomings} calls and their answers (or refusals) into responses.
 */
final class IncomingEndpoints {
  private final Incomings incomings;

  IncomingEndpoints(Incomings incomings) {
    this.incomings = incomings;
  }

  CompletableFuture<ApiResponse> handle(ApiAction action) {
    CompletableFuture<ApiResponse> answer;
    try {
      if (action instanceof ApiAction.CreateIncoming a) {
        answer = incomings.create(a.plan()).thenApply(in -> ApiResponse.json(201, ordered(
            "id", in.id(), "state", "listening", "uri", in.plan().uri().toQemuUri(), "prepared", in.prepared(),
            "leaseMs", in.leaseLength().toMillis())));
      } else if (action instanceof ApiAction.PlugIncoming a) {
        answer = incomings.find(a.id()).plug(a.devices()).thenApply(results -> plugged(a.id(), results));
      } else if (action instanceof ApiAction.CommitIncoming a) {
        // Stamped on receipt and on reply: the source works out the two hosts' clock offset
        // from them (NTP's way) and puts the RESUME time on its own clock.
        long receivedAt = ClockOffset.wallMicros();
        answer = incomings.find(a.id()).commit().thenApply(c -> committed(a.id(), c, receivedAt));
      } else if (action instanceof ApiAction.RenewIncoming a) {
        Incoming in = incomings.find(a.id());
        in.renew();
        answer = CompletableFuture.completedFuture(ApiResponse.json(200, ordered(
            "id", a.id(), "state", in.state().wireName(), "leaseMs", in.leaseLength().toMillis())));
      } else if (action instanceof ApiAction.AbortIncoming a) {
        answer = incomings.find(a.id()).abort().thenApply(outcome -> ApiResponse.json(200, outcome));
      } else {
        throw new IllegalArgumentException("not an incoming action: " + action);
      }
    } catch (IncomingException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.exceptionallyCompose(error -> CompletableFuture.failedFuture(asApi(error)));
  }

  private static ApiResponse committed(String id, IncomingCommitted c, long receivedAt) {
    Map<String, Object> body = ordered("id", id, "state", "committed", "resumedAtMicros", c.resumedAtMicros());
    if (!c.failover().isEmpty()) {
      List<Map<String, Object>> failover = new ArrayList<>();
      for (FailoverNegotiation n : c.failover()) {
        failover.add(n.negotiated()
            ? ordered("id", n.primary(), "standby", n.standby(), "negotiatedAtMicros", n.negotiatedAtMicros())
            : ordered("id", n.primary(), "standby", n.standby(), "error", n.error()));
      }
      body.put("failover", failover);
    }
    // Stamped last, as the answer leaves.
    body.put("clock", ordered("receivedAtMicros", receivedAt, "repliedAtMicros", ClockOffset.wallMicros()));
    return ApiResponse.json(200, body);
  }

  private static ApiResponse plugged(String id, List<PlugResult> results) {
    List<Map<String, Object>> devices = new ArrayList<>();
    for (PlugResult r : results) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("id", r.device());
      d.put("plugged", r.plugged());
      if (!r.plugged()) {
        d.put("error", r.error());
      }
      devices.add(d);
    }
    return ApiResponse.json(200, ordered("id", id, "devices", devices));
  }

  /** A JSON object with its fields in the order given (as the README shows them). */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      out.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return out;
  }

  private static Throwable asApi(Throwable error) {
    Throwable t = error;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof IncomingException e) {
      int status = switch (e.kind()) {
        case NOT_FOUND -> 404;
        case CONFLICT -> 409;
        case FAILED -> 502;
      };
      return new ApiException(status, e.code(), e.getMessage());
    }
    if (t instanceof ApiException) {
      return t;
    }
    // QEMU said no, or went away: the destination failed, the daemon did not.
    String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return new ApiException(502, "destination_failed", message);
  }
}
