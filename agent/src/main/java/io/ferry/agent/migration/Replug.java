package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Side;
import io.ferry.qmp.QmpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Plugs the ephemeral devices on one side with {@code device_add}, all at once, one deadline. */
final class Replug {
  private final RunContext ctx;

  Replug(RunContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Plugs every device given; never fails: each device's outcome is in the list. A cancellable
   * plug gives up at once on cancel (the caller then fails back); the rollback's is not.
   */
  CompletableFuture<List<PlugResult>> plug(
      Side side,
      QmpClient qmp,
      Map<String, Map<String, Object>> devices,
      Duration deadline,
      boolean cancellable) {
    List<CompletableFuture<PlugResult>> plugs = new ArrayList<>();
    devices.forEach(
        (id, properties) -> {
          ctx.events.device(ctx.phase, id, "plug-requested", Map.of("side", side.wireName(), "properties", properties));
          plugs.add(
              (cancellable
                      ? ctx.bounded(ctx.waitOn(qmp.deviceAdd(properties)), deadline, "device_add " + id)
                      : ctx.withDeadline(
                          ctx.waitOn(qmp.deviceAdd(properties)), deadline, "device_add " + id))
                  .handle(
                      (v, error) -> {
                        PlugResult result =
                            error == null
                                ? PlugResult.plugged(id)
                                : PlugResult.failed(id, Errors.message(error));
                        ctx.events.device(
                            ctx.phase,
                            id,
                            result.plugged() ? "plugged" : "plug-failed",
                            result.plugged()
                                ? Map.of("side", side.wireName())
                                : Map.of("side", side.wireName(), "error", result.error()));
                        return result;
                      }));
        });
    return CompletableFuture.allOf(plugs.toArray(CompletableFuture[]::new))
        .thenApply(v -> plugs.stream().map(CompletableFuture::join).toList());
  }
}
