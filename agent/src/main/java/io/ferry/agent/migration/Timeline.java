package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The instants a migration's figures are computed from. QEMU's event timestamps (µs since the
 * epoch, QEMU's clock) are kept apart from the agent's monotonic phase times, so the switchover
 * gap and device absence windows come from QEMU's clock, not from ferry's reaction time.
 */
final class Timeline {
  private final Map<Phase, Long> phaseStartNs = new EnumMap<>(Phase.class);
  private final Map<Phase, Long> phaseDurationNs = new EnumMap<>(Phase.class);
  private final Map<String, Long> deviceDeletedUs = new LinkedHashMap<>();
  private final Map<String, Long> deviceBackUs = new LinkedHashMap<>();
  private final long startedNs = System.nanoTime();
  private Long sourceStopUs;
  private Long destinationResumeUs;

  synchronized void phaseStarted(Phase phase) {
    phaseStartNs.put(phase, System.nanoTime());
  }

  synchronized void phaseEnded(Phase phase) {
    Long start = phaseStartNs.get(phase);
    if (start != null) {
      phaseDurationNs.merge(phase, System.nanoTime() - start, Long::sum);
    }
  }

  synchronized void deviceDeleted(String device, long qemuMicros) {
    deviceDeletedUs.putIfAbsent(device, qemuMicros);
  }

  /** The device is usable by the running guest again (µs since the epoch). */
  synchronized void deviceBack(String device, long epochMicros) {
    deviceBackUs.put(device, epochMicros);
  }

  synchronized void sourceStopped(long qemuMicros) {
    if (sourceStopUs == null) {
      sourceStopUs = qemuMicros;
    }
  }

  synchronized void destinationResumed(long qemuMicros) {
    if (destinationResumeUs == null) {
      destinationResumeUs = qemuMicros;
    }
  }

  synchronized Long destinationResumeUs() {
    return destinationResumeUs;
  }

  synchronized Long switchoverGapUs() {
    return sourceStopUs != null && destinationResumeUs != null
        ? destinationResumeUs - sourceStopUs
        : null;
  }

  /** Each device's absence window: its DEVICE_DELETED to its return on the running guest. */
  synchronized Map<String, Long> deviceAbsenceUs() {
    Map<String, Long> windows = new LinkedHashMap<>();
    deviceDeletedUs.forEach(
        (device, deleted) -> {
          Long back = deviceBackUs.get(device);
          if (back != null) {
            // A device back in a still-paused destination (a failover primary QEMU plugs as it
            // loads the stream) is of use to the guest only once it runs there.
            long usable = destinationResumeUs == null ? back : Math.max(back, destinationResumeUs);
            windows.put(device, usable - deleted);
          }
        });
    return windows;
  }

  synchronized Map<Phase, Long> phaseDurationsUs() {
    Map<Phase, Long> us = new EnumMap<>(Phase.class);
    phaseDurationNs.forEach((phase, ns) -> us.put(phase, ns / 1_000));
    return us;
  }

  long elapsedNs() {
    return System.nanoTime() - startedNs;
  }
}
