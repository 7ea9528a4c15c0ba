package io.ferry.agent.migration;

import io.ferry.agent.plan.DevicePlan;
import io.ferry.agent.plan.DurationText;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.QmpEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A peer destination's view of QEMU-native failover: which standby each primary of the plan is
 * paired with ({@code failover_pair_id} in its destination properties), and when the destination
 * QEMU reported FAILOVER_NEGOTIATED for it. It listens from {@code migrate-incoming} on, since
 * QEMU negotiates while it loads the stream, before the commit.
 */
final class FailoverWatch {
  private final Map<String, String> standbyOfPrimary = new LinkedHashMap<>();
  private final Map<String, CompletableFuture<Long>> negotiatedAt = new LinkedHashMap<>();

  /** Empty (nothing to watch) unless the plan's mode is failover. */
  FailoverWatch(MigrationPlan plan) {
    if (plan.mode() != Mode.FAILOVER) {
      return;
    }
    for (DevicePlan device : plan.devices()) {
      String standby = standbyOf(device);
      standbyOfPrimary.put(device.id(), standby);
      negotiatedAt.putIfAbsent(standby, new CompletableFuture<>());
    }
  }

  /** The standby a primary of a failover plan is paired with; the request parser made sure it is set. */
  private static String standbyOf(DevicePlan device) {
    return String.valueOf(device.destinationProperties().orElse(Map.of()).get("failover_pair_id"));
  }

  /** The standbys to check on the destination QEMU before anything is started. */
  List<String> standbys() {
    return List.copyOf(negotiatedAt.keySet());
  }

  boolean active() {
    return !negotiatedAt.isEmpty();
  }

  /** Called with every event of the destination QEMU. */
  void onEvent(QmpEvent event) {
    if (!event.name().equals("FAILOVER_NEGOTIATED")) {
      return;
    }
    CompletableFuture<Long> waiting = negotiatedAt.get(QmpEvents.deviceOf(event));
    if (waiting != null) {
      waiting.complete(event.timestamp().epochMicros());
    }
  }

  /**
   * Each primary's negotiation, waiting at most {@code limit} for the ones not reported yet (the
   * guest negotiates as the destination loads, or soon after it runs). Never fails.
   */
  CompletableFuture<List<FailoverNegotiation>> await(Duration limit) {
    List<CompletableFuture<FailoverNegotiation>> each = new ArrayList<>();
    standbyOfPrimary.forEach((primary, standby) -> each.add(negotiatedAt.get(standby).copy()
        .orTimeout(limit.toMillis(), TimeUnit.MILLISECONDS)
        .handle((at, error) -> error == null
            ? new FailoverNegotiation(primary, standby, at, null)
            : new FailoverNegotiation(primary, standby, null, "the destination QEMU reported no FAILOVER_NEGOTIATED for "
                + standby + " within " + DurationText.format(limit)
                + ": the guest did not negotiate the standby, so QEMU keeps the primary hidden"))));
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(v -> each.stream().map(CompletableFuture::join).toList());
  }
}
