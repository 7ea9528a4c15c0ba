package io.ferry.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.Result;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * {@code ferry migrate} through a running daemon: POST the plan, follow the migration's event
 * stream to its result, exit as a local run would. Ctrl-C asks the daemon to cancel (the migration
 * is the daemon's: it rolls back or finishes there even if this process is killed).
 */
final class DaemonMigrate {
  private final DaemonClient daemon;
  private final EventSink sink;
  private final PrintWriter err;

  DaemonMigrate(DaemonClient daemon, EventSink sink, PrintWriter err) {
    this.daemon = daemon;
    this.sink = sink;
    this.err = err;
  }

  int run(String planFile, byte[] plan) {
    try {
      DaemonClient.Reply started = daemon.post("/v1/migrations", plan);
      if (started.status() != 202) {
        return refused(planFile, started);
      }
      String id = started.json().path("id").asText();
      Thread cancelOnInterrupt = new Thread(() -> cancel(id), "ferry-cancel");
      Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
      EventFollower follower = new EventFollower(sink, err);
      DaemonClient.Reply end = follower.follow(daemon, "/v1/migrations/" + id + "/events");
      try {
        Runtime.getRuntime().removeShutdownHook(cancelOnInterrupt);
      } catch (IllegalStateException shuttingDown) {
        // exiting through the hook: the cancel is on its way
      }
      Optional<Result> result = follower.lastResult();
      if (result.isEmpty()) {
        // The stream ended early (dropped as too slow, or its events forgotten): ask for the result.
        result = finalResult(id, end);
      }
      if (result.isEmpty()) {
        return fail("the daemon's stream of " + id + " ended without a result; see GET /v1/migrations/" + id);
      }
      return ExitCodes.of(result.get());
    } catch (IOException e) {
      return fail("lost the daemon on " + daemon.socket() + ": " + e.getMessage());
    }
  }

  private Optional<Result> finalResult(String id, DaemonClient.Reply end) throws IOException {
    if (end.status() != 200) {
      err.println("ferry: " + end.errorMessage());
    }
    JsonNode view = daemon.get("/v1/migrations/" + id).json();
    return view.has("result") ? Optional.of(Result.valueOf(view.get("result").asText())) : Optional.empty();
  }

  /** Mirrors the local refusals: an invalid plan or a busy source is exit 2. */
  private int refused(String planFile, DaemonClient.Reply r) throws IOException {
    JsonNode error = r.json().path("error");
    String code = error.path("code").asText();
    if (code.equals("invalid_plan")) {
      err.println("ferry: invalid plan " + planFile + ":");
      JsonNode problems = error.path("problems");
      if (problems.isEmpty()) {
        err.println("  " + error.path("message").asText());
      }
      problems.forEach(p -> err.println("  " + p.path("path").asText() + ": " + p.path("message").asText()));
      err.flush();
      return ExitCodes.INVALID;
    }
    err.println("ferry: the daemon refused the migration: " + r.errorMessage());
    err.flush();
    return r.status() == 503 ? ExitCodes.ERROR : ExitCodes.INVALID;
  }

  private void cancel(String id) {
    try {
      daemon.post("/v1/migrations/" + id + "/cancel", null);
      err.println("ferry: asked the daemon to cancel " + id);
      err.flush();
    } catch (IOException e) {
      // The daemon is gone: nothing left to cancel from here.
    }
  }

  private int fail(String message) {
    err.println("ferry: " + message);
    err.flush();
    return ExitCodes.ERROR;
  }
}
