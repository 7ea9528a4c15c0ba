package io.ferry.agent.demo;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.lab.HeartbeatGap;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the lab demo measured.
 *
 * @param steps every step in order, with its duration
 * @param qemuDowntimeMs the source QEMU's {@code query-migrate} downtime
 * @param qemuTotalTimeMs the source QEMU's {@code query-migrate} total-time
 * @param switchoverGap source STOP to destination RESUME, from QEMU's event timestamps
 * @param heartbeatGap the longest heartbeat silence from the start of the migration on: the
 *     downtime as the guest lived it (usually the switchover; under load a stall on the source
 *     during the copy can be longer)
 * @param heartbeatSwitchoverGap the silence from the last source heartbeat to the first on the
 *     destination
 * @param heartbeatsPerSecond the rate the guest's heartbeat reached on the source before the
 *     migration (the resolution of the heartbeat gap)
 * @param nicBackInGuest the guest on the destination reported the replugged NIC
 * @param figures everything the orchestrator measured (device absence, phases, ferry overhead)
 * @param workDir where the logs are (deleted afterwards unless kept)
 */
public record DemoResult(
    List<DemoStep> steps,
    long qemuDowntimeMs,
    long qemuTotalTimeMs,
    Duration switchoverGap,
    Optional<HeartbeatGap> heartbeatGap,
    Optional<HeartbeatGap> heartbeatSwitchoverGap,
    double heartbeatsPerSecond,
    boolean nicBackInGuest,
    MigrationFigures figures,
    java.nio.file.Path workDir) {
  public DemoResult {
    steps = List.copyOf(steps);
  }
}
