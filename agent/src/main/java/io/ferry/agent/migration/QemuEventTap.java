package io.ferry.agent.migration;

import io.ferry.agent.event.Side;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpEventListener;
import java.util.Set;

/**
 * Carries the QEMU events a migration cares about into its event stream and its timeline, with
 * QEMU's own timestamps. Runs on the QMP client's per-subscriber delivery, never on the event
 * loop, so a slow event consumer cannot delay command replies.
 */
final class QemuEventTap implements QmpEventListener {
  static final Set<String> OF_INTEREST =
      Set.of(
          "DEVICE_DELETED",
          "MIGRATION",
          "MIGRATION_PASS",
          "STOP",
          "RESUME",
          "SHUTDOWN",
          "UNPLUG_PRIMARY",
          "FAILOVER_NEGOTIATED",
          "ACPI_DEVICE_OST");
  private static final int QUEUE_CAPACITY = 4096;

  private final RunContext ctx;
  private final Side side;

  private QemuEventTap(RunContext ctx, Side side) {
    this.ctx = ctx;
    this.side = side;
  }

  static EventSubscription attach(RunContext ctx, Side side, QmpClient qmp) {
    return qmp.subscribe(new QemuEventTap(ctx, side), QUEUE_CAPACITY);
  }

  @Override
  public void onEvent(QmpEvent event) {
    if (!OF_INTEREST.contains(event.name())) {
      return;
    }
    long micros = event.timestamp().epochMicros();
    switch (side + ":" + event.name()) {
        // The first STOP after migrate is the switchover; an earlier one would be a paused guest.
      case "SOURCE:STOP" -> {
        if (ctx.migrationStarted) {
          ctx.timeline.sourceStopped(micros);
        }
      }
      case "DESTINATION:RESUME" -> ctx.timeline.destinationResumed(micros);
      case "SOURCE:DEVICE_DELETED", "SOURCE:UNPLUG_PRIMARY" -> {
        String device = QmpEvents.deviceOf(event);
        if (device != null && ctx.sourceDevices.containsKey(device)) {
          ctx.timeline.deviceDeleted(device, micros);
        }
      }
      default -> {}
    }
    ctx.events.qemu(ctx.phase, side, event);
  }

  @Override
  public void onClosed(Throwable reason) {
    ctx.events.monitorClosed(ctx.phase, side, reason);
  }
}
