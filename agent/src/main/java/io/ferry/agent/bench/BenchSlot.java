package io.ferry.agent.bench;

import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.MigrationPlanBuilder;
import io.ferry.agent.plan.Mode;
import java.io.IOException;
import java.time.Duration;

/**
 * One guest of the bench (of P with {@code --parallel P}): booted once, then moved each run from
 * its current QEMU to a fresh incoming one. Slot numbers start at 1; each slot's sockets carry its
 * number, so P slots share one work directory.
 */
final class BenchSlot implements AutoCloseable {
  private final int slot;
  private final int slots;
  private LabVm current;

  BenchSlot(int slot, int slots, LabVm current) {
    this.slot = slot;
    this.slots = slots;
    this.current = current;
  }

  int slot() {
    return slot;
  }

  LabVm current() {
    return current;
  }

  /** The lab VM name of this slot's QEMU for {@code run} (0: the booted one): bench-3 alone, bench-s2-3 in parallel. */
  static String vmName(int slot, int slots, String run) {
    return slots == 1 ? "bench-" + run : "bench-s" + slot + "-" + run;
  }

  String vmName(String run) {
    return vmName(slot, slots, run);
  }

  /**
   * The next run, ready to start: a fresh incoming QEMU, a heartbeat monitor over both sides that
   * has seen the source beat, and the plan moving the guest there.
   */
  Prepared prepare(LabVm next, int run, BenchSettings settings, Duration beatDeadline) throws IOException {
    HeartbeatMonitor heartbeat = HeartbeatMonitor.connect(current.heartbeatSocket(), next.heartbeatSocket());
    try {
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, beatDeadline).join();
    } catch (RuntimeException e) {
      heartbeat.close();
      throw new IOException("slot " + slot + ": no heartbeat from the guest: " + e.getMessage(), e);
    }
    String uri = "unix:" + current.workDir().resolve(vmName(String.valueOf(run)) + ".mig.sock");
    return new Prepared(next, heartbeat, plan(settings, current, next, uri));
  }

  /** The plan the bench gives ferry for moving the guest from {@code source} to {@code destination}. */
  static MigrationPlan plan(BenchSettings settings, LabVm source, LabVm destination, String uri) {
    MigrationPlanBuilder plan =
        MigrationPlan.builder()
            .source(source.agentQmpSocket())
            .destination(destination.agentQmpSocket())
            .uri(uri)
            .commit(settings.commit());
    MigrationBench.deviceIds(settings).forEach(plan::device);
    if (settings.mode() == BenchMode.FAILOVER) {
      plan.mode(Mode.FAILOVER);
    }
    if (settings.downtimeLimitMs() != null) {
      plan.parameter("downtime-limit", settings.downtimeLimitMs());
    }
    return plan.build();
  }

  /** The guest now runs on {@code next}: the old QEMU goes. */
  void moveTo(LabVm next) {
    LabVm old = current;
    current = next;
    old.close();
  }

  @Override
  public void close() {
    current.close();
  }

  /** A run about to start on this slot. */
  record Prepared(LabVm next, HeartbeatMonitor heartbeat, MigrationPlan plan) implements AutoCloseable {
    @Override
    public void close() {
      heartbeat.close();
    }
  }
}
