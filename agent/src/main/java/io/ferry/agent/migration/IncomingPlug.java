package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An {@link Incoming}'s REPLUG: once the stream is loaded, every device {@code device_add}ed into
 * the paused destination at once, each journaled first and bounded by the plan's replug deadline.
 */
final class IncomingPlug {
  private IncomingPlug() {}

  /** Runs it; {@code in} has checked that it may ({@link Incoming#plug}). Never fails for one device. */
  static CompletableFuture<List<PlugResult>> run(Incoming in, Map<String, Map<String, Object>> devices) {
    return in.awaitLoaded()
        .thenCompose(v -> {
          in.enter(Phase.REPLUG);
          List<CompletableFuture<PlugResult>> plugs = new ArrayList<>();
          devices.forEach((id, properties) -> plugs.add(plugOne(in, id, properties)));
          return CompletableFuture.allOf(plugs.toArray(CompletableFuture[]::new))
              .thenApply(done -> plugs.stream().map(CompletableFuture::join).toList());
        })
        .whenComplete((results, error) -> in.endCall(error == null ? Incoming.State.PLUGGED : null));
  }

  private static CompletableFuture<PlugResult> plugOne(Incoming in, String id, Map<String, Object> properties) {
    Map<String, Object> args = new LinkedHashMap<>(properties);
    args.put("id", id);
    return in.journal.record(Phase.REPLUG, JournalStep.DEVICE_ADD, id,
            Map.of("side", "destination", "properties", args))
        .thenCompose(v -> {
          in.events.device(Phase.REPLUG, id, "plug-requested", Map.of("side", "destination", "properties", args));
          return in.qmp.deviceAdd(args).orTimeout(in.plan().timeouts().replug().toMillis(), TimeUnit.MILLISECONDS);
        })
        .handle((v, error) -> {
          PlugResult result = error == null ? PlugResult.plugged(id) : PlugResult.failed(id, Errors.message(error));
          in.events.device(Phase.REPLUG, id, result.plugged() ? "plugged" : "plug-failed",
              result.plugged() ? Map.of("side", "destination")
                  : Map.of("side", "destination", "error", result.error()));
          return result;
        });
  }
}
