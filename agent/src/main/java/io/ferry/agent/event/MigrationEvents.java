package io.ferry.agent.event;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Makes one migration's events for the orchestrator: numbers them (seq from 0, no gaps), stamps
 * them with wall time and {@link System#nanoTime()}, and hands them to a sink. Thread-safe: the
 * orchestrator emits from Netty callbacks. Numbering and handing over happen under one lock, so
 * the sink sees events in seq order; the sink must therefore not block (an {@link EventBus} does
 * not). After {@link #result} the migration is over and further events are refused.
 */
public final class MigrationEvents {

  private final String migrationId;
  private final EventSink sink;
  private final Clock wallClock;
  private final LongSupplier monoClock;

  private long nextSeq; // guarded by this
  private boolean finished; // guarded by this

  public MigrationEvents(String migrationId, EventSink sink) {
    this(migrationId, sink, Clock.systemUTC(), System::nanoTime);
  }

  /** With given clocks, for tests that need fixed times. */
  public MigrationEvents(String migrationId, EventSink sink, Clock wallClock,
      LongSupplier monoClock) {
    this.migrationId = Objects.requireNonNull(migrationId, "migrationId");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
    this.monoClock = Objects.requireNonNull(monoClock, "monoClock");
  }

  public String migrationId() {
    return migrationId;
  }

  public MigrationEvent phaseStarted(Phase phase) {
    return emit(phase, EventKind.STARTED, null, null, null);
  }

  public MigrationEvent phaseStarted(Phase phase, Map<String, ?> detail) {
    return emit(phase, EventKind.STARTED, null, null, detail);
  }

  public MigrationEvent phaseCompleted(Phase phase, Map<String, ?> detail) {
    return emit(phase, EventKind.COMPLETED, null, null, detail);
  }

  /** A phase failed; {@code reason} goes into {@code detail.reason}. */
  public MigrationEvent phaseFailed(Phase phase, String reason, Map<String, ?> detail) {
    return emit(phase, EventKind.FAILED, null, null, with(detail, "reason", reason));
  }

  /** A figure moved (RAM transferred, devices left). */
  public MigrationEvent progress(Phase phase, Map<String, ?> detail) {
    return emit(phase, EventKind.PROGRESS, null, null, detail);
  }

  /** A device's step: STARTED (request sent), COMPLETED, FAILED, WARNING or PROGRESS. */
  public MigrationEvent device(Phase phase, String device, EventKind kind, Map<String, ?> detail) {
    Objects.requireNonNull(device, "device");
    if (kind == EventKind.RESULT || kind == EventKind.QEMU) {
      throw new IllegalArgumentException("use result(...) or qemu(...) for " + kind.wireName());
    }
    return emit(phase, kind, device, null, detail);
  }

  /** Same, with the kind's wire name ({@code "started"}, {@code "completed"}, ...). */
  public MigrationEvent device(Phase phase, String device, String kind, Map<String, ?> detail) {
    return device(phase, device, EventKind.fromWire(kind), detail);
  }

  /** A QEMU event ferry acted on, with QEMU's timestamp (µs since the epoch). */
  public MigrationEvent qemu(Phase phase, Side side, String eventName, long timestampMicros,
      Map<String, ?> detail) {
    return emit(phase, EventKind.QEMU, null, new QemuRef(side, eventName, timestampMicros), detail);
  }

  /** A QEMU event about one device (DEVICE_DELETED, UNPLUG_PRIMARY, ...). */
  public MigrationEvent qemu(Phase phase, Side side, String eventName, long timestampMicros,
      String device, Map<String, ?> detail) {
    Objects.requireNonNull(device, "device");
    return emit(phase, EventKind.QEMU, device, new QemuRef(side, eventName, timestampMicros),
        detail);
  }

  /** Something the operator should know; {@code message} goes into {@code detail.message}. */
  public MigrationEvent warning(Phase phase, String message, Map<String, ?> detail) {
    return emit(phase, EventKind.WARNING, null, null, with(detail, "message", message));
  }

  /** The last event: phase DONE, kind result, detail {@code {"result","reason"?,"figures"}}. */
  public MigrationEvent result(Result result, String reason, MigrationFigures figures) {
    return result(result, reason, figures, Map.of());
  }

  /** The last event, with where each piece was left ({@code detail.state}). */
  public MigrationEvent result(Result result, String reason, MigrationFigures figures,
      Map<String, Object> state) {
    ResultDetail detail = new ResultDetail(result, Optional.ofNullable(reason),
        figures == null ? MigrationFigures.none() : figures, state);
    return emit(Phase.DONE, EventKind.RESULT, null, null, detail.toDetail());
  }

  /**
   * Emits any event; the methods above cover the usual ones.
   *
   * @throws IllegalStateException after the result event
   */
  public synchronized MigrationEvent emit(Phase phase, EventKind kind, String device,
      QemuRef qemu, Map<String, ?> detail) {
    if (finished) {
      throw new IllegalStateException(
          "migration " + migrationId + " already has its result; no further events");
    }
    MigrationEvent event = new MigrationEvent(migrationId, nextSeq, phase, kind,
        Optional.ofNullable(device), wallClock.instant(), monoClock.getAsLong(),
        Optional.ofNullable(qemu), EventDetail.normalize(detail));
    nextSeq++;
    if (kind == EventKind.RESULT) {
      finished = true;
    }
    sink.accept(event);
    return event;
  }

  private static Map<String, Object> with(Map<String, ?> detail, String key, String value) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(key, Objects.requireNonNull(value, key));
    if (detail != null) {
      detail.forEach((k, v) -> {
        if (!k.equals(key)) {
          out.put(k, v);
        }
      });
    }
    return out;
  }
}
