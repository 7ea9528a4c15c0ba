package io.ferry.agent.lab;

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
 *     downtime as the guest lived it
 * @param nicBackInGuest the guest on the destination reported the replugged NIC
 * @param workDir where the logs are (deleted afterwards unless kept)
 */
public record DemoResult(
    List<DemoStep> steps,
    long qemuDowntimeMs,
    long qemuTotalTimeMs,
    Duration switchoverGap,
    Optional<HeartbeatGap> heartbeatGap,
    boolean nicBackInGuest,
    java.nio.file.Path workDir) {
  public DemoResult {
    steps = List.copyOf(steps);
  }
}
