package io.ferry.agent.event;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One event of one migration; the NDJSON shape of DESIGN.md (see {@link EventJson}).
 *
 * @param migration the plan id
 * @param seq position in this migration's stream, from 0, without gaps
 * @param phase the phase the event belongs to ({@link Phase#DONE} only for the result)
 * @param kind what it reports
 * @param device the qdev id of the device concerned, if any
 * @param wall wall-clock time, kept to the microsecond (the wire precision)
 * @param monoNs {@link System#nanoTime()} when the event was made: for intervals on one host
 * @param qemu the QEMU event behind this one, if any, with QEMU's timestamp
 * @param detail kind-specific figures; values are String, Boolean, Long, Double, List, Map or null
 */
public record MigrationEvent(
    String migration,
    long seq,
    Phase phase,
    EventKind kind,
    Optional<String> device,
    Instant wall,
    long monoNs,
    Optional<QemuRef> qemu,
    Map<String, Object> detail) {

  public MigrationEvent {
    Objects.requireNonNull(migration, "migration");
    Objects.requireNonNull(phase, "phase");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(wall, "wall");
    Objects.requireNonNull(qemu, "qemu");
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative: " + seq);
    }
    if ((phase == Phase.DONE) != (kind == EventKind.RESULT)) {
      throw new IllegalArgumentException(
          "the result event, and only it, has phase DONE: got " + phase + "/" + kind.wireName());
    }
    wall = wall.truncatedTo(ChronoUnit.MICROS);
    detail = EventDetail.normalize(detail);
  }
}
