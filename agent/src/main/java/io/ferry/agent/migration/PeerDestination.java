package io.ferry.agent.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.peer.PeerClient;
import io.ferry.agent.peer.PeerReply;
import io.ferry.agent.plan.Mode;
import io.ferry.agent.plan.PlanJson;
import io.ferry.qmp.QmpIoThread;
import io.ferry.qmp.QmpOptions;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A destination on another host, driven through that host's ferry daemon over the peer protocol
 * (HTTPS, mutual TLS): {@code POST /v1/incoming}, then {@code .../plug}, {@code .../commit} or
 * {@code .../abort}. The peer talks to its QEMU itself; its events are on its own stream.
 */
final class PeerDestination implements Destination {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration QUICK = Duration.ofSeconds(30);
  // Binding passthrough devices and starting the destination's listener can take a while.
  private static final Duration PREPARE = Duration.ofSeconds(120);
  // The peer confirms its load before it plugs or commits: allow for that wait too.
  private static final Duration LOAD_SETTLE = Duration.ofSeconds(30);
  private static final Duration RESUME = Duration.ofSeconds(60);
  /** The peer's refusals that prove it did not run the guest: a commit that failed so is undone. */
  private static final Set<String> NOT_COMMITTED =
      Set.of("not_committed", "wrong_state", "busy", "unknown_incoming", "incoming_failed");

  /** {@link #incomingState} when the peer agent says the incoming migration is committed. */
  static final String COMMITTED = "committed";
  /** {@link #incomingState} when the peer agent is settling it after its own restart. */
  static final String RECOVERING = "recovering";
  /** {@link #incomingState} when the peer agent does not answer. */
  static final String UNREACHABLE = "unreachable";
  /** {@link #incomingState} when the peer agent has no incoming migration of that id. */
  static final String UNKNOWN = "unknown";

  private final RunContext ctx;
  private final PeerClient client;
  private final URI agent;
  // The peer names an incoming migration by the plan's id: known before it answers.
  private final String incomingPath;
  private volatile boolean prepareSent;
  private volatile LeaseRenewal renewal;
  /** Failover mode: each standby's FAILOVER_NEGOTIATED time on this host's clock, from the commit's answer. */
  private final Map<String, CompletableFuture<Long>> negotiated = new ConcurrentHashMap<>();

  PeerDestination(RunContext ctx, PeerClient client, URI agent) {
    this.ctx = ctx;
    this.client = client;
    this.agent = agent;
    this.incomingPath = "/v1/incoming/" + ctx.plan.id();
  }

  /**
   * Where the peer agent's incoming migration of this plan stands, for a restarted daemon: its
   * {@code state} as the peer lists it ({@link #COMMITTED}, {@code listening}, {@code aborted},
   * {@link #RECOVERING}...), {@link #UNKNOWN} if the peer has none of that id, or
   * {@link #UNREACHABLE}.
   */
  CompletableFuture<String> incomingState() {
    if (client == null) {
      return CompletableFuture.completedFuture(UNREACHABLE); // started without TLS: it cannot ask
    }
    return client.send(agent, HttpMethod.GET, "/v1/migrations/" + ctx.plan.id(), null, QUICK)
        .handle((reply, error) -> {
          if (error != null) {
            return UNREACHABLE;
          }
          if (reply.status() == 404) {
            return UNKNOWN;
          }
          JsonNode json;
          try {
            json = reply.ok() ? reply.json() : null;
          } catch (RuntimeException notJson) {
            json = null;
          }
          if (json == null || !"incoming".equals(json.path("role").asText())) {
            return UNREACHABLE; // an answer this daemon cannot read is no answer
          }
          return json.path("state").asText(UNREACHABLE);
        });
  }

  /**
   * A restarted daemon settles this plan: the dead one may have created the incoming migration,
   * so a rollback sends the abort (a no-op for one the peer already ended, "untouched" for one it
   * never had).
   */
  void recovering() {
    prepareSent = true;
  }

  @Override
  public CompletableFuture<Void> open(QmpIoThread ioThread, QmpOptions options) {
    return CompletableFuture.completedFuture(null); // one TLS connection per request
  }

  @Override
  public void attachEventTap() {
    // The peer's QEMU events go out on the peer's own stream, under the plan's id.
  }

  @Override
  public CompletableFuture<String> problem() {
    return ctx.waitOn(client.send(agent, HttpMethod.GET, "/healthz", null, QUICK))
        .handle((reply, error) -> {
          if (error != null) {
            return "cannot reach the destination agent " + agent + ": " + Errors.message(error);
          }
          return reply.ok() ? null : "the destination agent " + agent + " is not healthy: " + reply.errorMessage();
        });
  }

  @Override
  public CompletableFuture<Void> prepare(Map<String, Boolean> capabilities, Map<String, Object> parameters) {
    ObjectNode plan = PlanJson.toTree(ctx.plan);
    // The peer works from the devices' properties as this side resolved them (the plan's own, or
    // the source device's): it binds a "host" named only on the source, and in failover mode it
    // learns each primary's standby (failover_pair_id) that way.
    for (JsonNode device : plan.path("devices")) {
      SourceDevice found = ctx.sourceDevices.get(device.path("id").asText());
      if (found != null) {
        Map<String, Object> properties = found.destinationProperties(ctx.device(found.id()).destinationProperties());
        properties.remove("id");
        ((ObjectNode) device).set("destination", JSON.valueToTree(properties));
      }
    }
    // The peer applies exactly what this side settled on.
    ObjectNode migration = plan.putObject("migration");
    migration.set("capabilities", JSON.valueToTree(capabilities));
    migration.set("parameters", JSON.valueToTree(parameters));
    prepareSent = true;
    ctx.events.step(Phase.PREFLIGHT, "incoming-requested", Map.of("agent", agent.toString()));
    return ctx.waitOn(client.send(agent, HttpMethod.POST, "/v1/incoming", bytes(plan), PREPARE))
        .thenAccept(reply -> {
          if (reply.status() != 201) {
            throw new PhaseFailure(Phase.PREFLIGHT,
                "the destination agent refused the incoming migration: " + reply.errorMessage());
          }
          ctx.events.step(Phase.PREFLIGHT, "incoming-prepared", Map.of("agent", agent.toString(),
              "prepared", JSON.convertValue(reply.json().path("prepared"), List.class)));
          // The peer gives up on a source it has not heard from for a lease (older peers have none).
          long leaseMs = reply.json().path("leaseMs").asLong(0);
          if (leaseMs > 0) {
            LeaseRenewal r = new LeaseRenewal(ctx, client, agent, incomingPath, Duration.ofMillis(leaseMs));
            renewal = r;
            r.start();
          }
        });
  }

  @Override
  public CompletableFuture<String> loadStatus(Duration deadline) {
    return CompletableFuture.completedFuture("completed");
  }

  @Override
  public CompletableFuture<Void> listen(String uri) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<List<PlugResult>> plug(
      Map<String, Map<String, Object>> devices, Duration deadline, boolean cancellable) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode byId = body.putObject("devices");
    Duration limit = deadline.plus(LOAD_SETTLE);
    // The intent to plug each device is journaled first, as for a local destination: ferry does
    // not ask for what it could not write down.
    List<CompletableFuture<Void>> intents = new ArrayList<>();
    devices.forEach((id, properties) -> intents.add(ctx.journal.record(ctx.phase, JournalStep.DEVICE_ADD, id,
        Map.of("side", "destination", "properties", properties))));
    CompletableFuture<PeerReply> sent = CompletableFuture.allOf(intents.toArray(CompletableFuture[]::new))
        .thenCompose(v -> {
          devices.forEach((id, properties) -> {
            ctx.events.device(ctx.phase, id, "plug-requested", Map.of("side", "destination", "properties", properties));
            Map<String, Object> withoutId = new LinkedHashMap<>(properties);
            withoutId.remove("id");
            byId.set(id, JSON.valueToTree(withoutId));
          });
          return ctx.waitOn(client.send(agent, HttpMethod.POST, incomingPath + "/plug", bytes(body), limit));
        });
    return (cancellable ? ctx.bounded(sent, limit, "the destination agent's plug")
            : ctx.withDeadline(sent, limit, "the destination agent's plug"))
        .handle((reply, error) -> {
          List<PlugResult> results = new ArrayList<>();
          if (error != null || !reply.ok()) {
            String why = error != null ? Errors.message(error) : reply.errorMessage();
            devices.keySet().forEach(id -> results.add(PlugResult.failed(id, "the destination agent: " + why)));
          } else {
            for (JsonNode d : reply.json().path("devices")) {
              results.add(d.path("plugged").asBoolean()
                  ? PlugResult.plugged(d.path("id").asText())
                  : PlugResult.failed(d.path("id").asText(), d.path("error").asText()));
            }
          }
          for (PlugResult r : results) {
            ctx.events.device(ctx.phase, r.device(), r.plugged() ? "plugged" : "plug-failed",
                r.plugged() ? Map.of("side", "destination") : Map.of("side", "destination", "error", r.error()));
          }
          return results;
        })
        .thenCompose(results -> {
          // Facts the peer holds anyway: a failed record changes nothing.
          List<CompletableFuture<Void>> added = new ArrayList<>();
          results.stream().filter(PlugResult::plugged).forEach(r -> added.add(ctx.journal
              .record(ctx.phase, JournalStep.DEVICE_ADDED, r.device(), Map.of("side", "destination"))
              .exceptionally(error -> null)));
          return CompletableFuture.allOf(added.toArray(CompletableFuture[]::new)).thenApply(v -> results);
        });
  }

  /**
   * Once the commit request is sent, the peer may resume the guest at any moment; so unless the
   * peer answers that it did not (a refusal in {@link #NOT_COMMITTED}), the migration counts as
   * committed: a lost answer must leave the source paused, never running beside the destination.
   */
  @Override
  public CompletableFuture<Long> commit(Runnable pointOfNoReturn) {
    stopRenewing(); // the commit is itself a call; after it the lease no longer applies
    long sentUs = ClockOffset.wallMicros();
    // In failover mode the peer also waits, at most the replug deadline, for the negotiations.
    Duration limit = ctx.plan.mode() == Mode.FAILOVER ? RESUME.plus(ctx.plan.timeouts().replug()) : RESUME;
    return ctx.waitOn(client.send(agent, HttpMethod.POST, incomingPath + "/commit", null, limit))
        .handle((reply, error) -> {
          if (error == null && reply.ok()) {
            pointOfNoReturn.run();
            long offsetUs = offsetUs(reply.json(), sentUs, ClockOffset.wallMicros());
            settleNegotiations(reply.json().path("failover"), offsetUs, null);
            return reply.json().path("resumedAtMicros").asLong() - offsetUs;
          }
          String code = error == null ? reply.json().path("error").path("code").asText() : "";
          if (!NOT_COMMITTED.contains(code)) {
            pointOfNoReturn.run();
          }
          String why = error != null ? Errors.message(error) : reply.errorMessage();
          settleNegotiations(null, 0, "the destination agent's commit failed: " + why);
          throw new PhaseFailure(Phase.COMMIT, "the destination agent's commit failed: " + why);
        });
  }

  /** Keeps the promises of {@link #failoverNegotiated}: from the peer's answer, or with {@code failure}. */
  private void settleNegotiations(JsonNode reported, long offsetUs, String failure) {
    Map<String, JsonNode> byStandby = new LinkedHashMap<>();
    if (reported != null) {
      for (JsonNode n : reported) {
        byStandby.put(n.path("standby").asText(), n);
      }
    }
    negotiated.forEach((standby, promise) -> {
      JsonNode n = byStandby.get(standby);
      if (n != null && n.path("negotiatedAtMicros").canConvertToLong()) {
        promise.complete(n.path("negotiatedAtMicros").asLong() - offsetUs);
      } else {
        promise.completeExceptionally(new IllegalStateException(failure != null ? failure
            : n != null ? "the destination agent: " + n.path("error").asText()
            : "the destination agent reported nothing about the standby " + standby));
      }
    });
  }

  /**
   * How far the destination's clock is ahead of this host's (µs), to move its QEMU's times onto
   * this host's clock, so that the switchover gap (the source QEMU's STOP to the destination's
   * RESUME) does not carry the two hosts' clock difference. The peer stamps the commit's receipt
   * and reply; for a peer that does not, 0 (its times are taken as they come).
   */
  private long offsetUs(JsonNode answer, long sentUs, long answeredUs) {
    JsonNode clock = answer.path("clock");
    if (!clock.path("receivedAtMicros").canConvertToLong() || !clock.path("repliedAtMicros").canConvertToLong()) {
      return 0;
    }
    return ClockOffset.of(sentUs, clock.path("receivedAtMicros").asLong(), clock.path("repliedAtMicros").asLong(),
            answeredUs)
        .map(offset -> {
          ctx.events.step(Phase.COMMIT, "destination-clock",
              Map.of("offsetUs", offset.offsetUs(), "uncertaintyUs", offset.uncertaintyUs()));
          return offset.offsetUs();
        })
        .orElse(0L);
  }

  @Override
  public CompletableFuture<String> discard(boolean streamStarted) {
    stopRenewing();
    if (!prepareSent) {
      return CompletableFuture.completedFuture("untouched");
    }
    return ctx.journal.record(ctx.phase, JournalStep.QUIT_DESTINATION, Map.of("agent", agent.toString()))
        .exceptionally(error -> null) // a rollback step goes ahead even if its record fails
        .thenCompose(v -> {
          ctx.events.step(ctx.phase, "abort-destination", Map.of("agent", agent.toString()));
          return ctx.waitOn(client.send(agent, HttpMethod.POST, incomingPath + "/abort", null, PREPARE));
        })
        .thenApply(reply -> {
          if (reply.status() == 404) {
            return "untouched"; // the prepare request never created the incoming migration
          }
          if (!reply.ok()) {
            throw new IllegalStateException("the destination agent did not abort: " + reply.errorMessage());
          }
          return "aborted (destination QEMU " + reply.json().path("destination").asText("untouched") + ")";
        });
  }

  /**
   * The peer waits for the negotiations itself (it sees its QEMU's events, and looks for the
   * primary) and reports them in its answer to the commit; until then, this is a promise kept by
   * {@link #commit}.
   */
  @Override
  public CompletableFuture<Long> failoverNegotiated(String primary, String standby, Duration deadline) {
    return negotiated.computeIfAbsent(standby, s -> new CompletableFuture<>());
  }

  @Override
  public void close() {
    // The client belongs to the daemon; only the renewals are this migration's.
    stopRenewing();
  }

  private void stopRenewing() {
    LeaseRenewal r = renewal;
    if (r != null) {
      r.stop();
    }
  }

  private static byte[] bytes(JsonNode json) {
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }
}
