package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Side;
import io.ferry.agent.journal.JournalStep;
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
          plugs.add(
              journaled(side, id, properties)
                  .thenCompose(v -> {
                    ctx.events.device(ctx.phase, id, "plug-requested", Map.of("side", side.wireName(), "properties", properties));
                    return cancellable
                        ? ctx.bounded(ctx.waitOn(qmp.deviceAdd(properties)), deadline, "device_add " + id)
                        : ctx.withDeadline(ctx.waitOn(qmp.deviceAdd(properties)), deadline, "device_add " + id);
                  })
                  .thenCompose(v -> ctx.journal.record(ctx.phase, JournalStep.DEVICE_ADDED, id, Map.of("side", side.wireName()))
                      .exceptionally(error -> null)) // a fact QEMU holds anyway: recovery asks query-pci
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

  /**
   * The intent to plug, journaled first. Towards the destination a failed record means no plug
   * (ferry does not act on what it could not write down); plugging back on the source is a
   * rollback, which proceeds anyway.
   */
  private CompletableFuture<Void> journaled(Side side, String id, Map<String, Object> properties) {
    CompletableFuture<Void> durable = ctx.journal.record(ctx.phase, JournalStep.DEVICE_ADD, id,
        Map.of("side", side.wireName(), "properties", properties));
    return side == Side.SOURCE ? durable.exceptionally(error -> null) : durable;
  }
}
