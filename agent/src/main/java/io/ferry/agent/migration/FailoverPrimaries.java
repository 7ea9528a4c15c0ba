package io.ferry.agent.migration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Failover mode's replug, which QEMU does itself: each primary comes back on the destination when
 * the guest negotiates its standby (FAILOVER_NEGOTIATED). ferry only watches, from before the
 * migration starts (QEMU reports it as the destination loads the stream), and bounds the wait.
 */
final class FailoverPrimaries {
  private final RunContext ctx;
  private final Map<String, CompletableFuture<Long>> negotiated = new LinkedHashMap<>();

  FailoverPrimaries(RunContext ctx) {
    this.ctx = ctx;
  }

  /** Starts watching for every primary of the plan; called before {@code migrate}. */
  void watch() {
    Duration horizon = ctx.plan.timeouts().unplug().plus(ctx.plan.timeouts().migration())
        .plus(ctx.plan.timeouts().replug()).plus(Commit.RESUME_TIMEOUT);
    ctx.plan.devices().forEach(device ->
        negotiated.put(device.id(), ctx.destination.failoverNegotiated(device.id(), standbyOf(device.id()), horizon)));
  }

  /**
   * After the commit: each primary plugged (its return on the timeline) or failed, waiting at
   * most the plan's replug deadline. Never fails for one primary.
   */
  CompletableFuture<List<PlugResult>> returned() {
    List<CompletableFuture<PlugResult>> waits = new ArrayList<>();
    negotiated.forEach((primary, at) -> waits.add(
        ctx.withDeadline(ctx.waitOn(at), ctx.plan.timeouts().replug(), "FAILOVER_NEGOTIATED for " + primary)
            .handle((negotiatedAt, error) -> {
              if (error != null) {
                return PlugResult.failed(primary, Errors.message(error));
              }
              ctx.timeline.deviceBack(primary, negotiatedAt);
              return PlugResult.plugged(primary);
            })));
    return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
        .thenApply(v -> waits.stream().map(CompletableFuture::join).toList());
  }

  private String standbyOf(String primary) {
    Object pair = ctx.sourceDevices.get(primary).properties().get("failover_pair_id");
    return pair == null ? "" : pair.toString();
  }
}
