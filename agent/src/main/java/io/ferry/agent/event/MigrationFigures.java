package io.ferry.agent.event;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The figures of a finished migration, carried by its result event. A figure that was not measured
 * (the migration never got that far, or QEMU did not report it) is {@code null} and left out of the
 * JSON; the maps are never null.
 *
 * @param downtimeMs QEMU-reported downtime ({@code query-migrate} {@code downtime})
 * @param switchoverGapUs source STOP to destination RESUME, from the two QEMU timestamps
 * @param deviceAbsenceUs device id → its DEVICE_DELETED to its re-add on the running guest
 * @param phaseDurationsUs phase → how long it took
 * @param ferryOverheadUs wall time minus the time spent waiting on QEMU and the guest
 * @param ferryCpuUs the CPU time ferry's own thread used in those spans (measured only when asked
 *     for: the overhead minus this is time ferry was ready to run but had no core)
 * @param totalTimeMs whole migration, from the plan's start to the result
 * @param setupTimeMs QEMU-reported {@code setup-time}
 * @param bytesTransferred QEMU-reported {@code ram.transferred}
 * @param passes QEMU-reported number of RAM passes ({@code MIGRATION_PASS} count)
 */
public record MigrationFigures(
    Long downtimeMs,
    Long switchoverGapUs,
    Map<String, Long> deviceAbsenceUs,
    Map<Phase, Long> phaseDurationsUs,
    Long ferryOverheadUs,
    Long ferryCpuUs,
    Long totalTimeMs,
    Long setupTimeMs,
    Long bytesTransferred,
    Long passes) {

  public MigrationFigures {
    deviceAbsenceUs =
        deviceAbsenceUs == null
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(deviceAbsenceUs));
    // In phase order, whatever order they were measured in.
    phaseDurationsUs =
        phaseDurationsUs == null || phaseDurationsUs.isEmpty()
            ? Map.of()
            : Collections.unmodifiableMap(new EnumMap<>(phaseDurationsUs));
  }

  /** Nothing measured. */
  public static MigrationFigures none() {
    return new MigrationFigures(null, null, null, null, null, null, null, null, null, null);
  }

  /** The JSON form inside the result event's {@code detail.figures}; null figures are left out. */
  public Map<String, Object> toDetail() {
    Map<String, Object> out = new LinkedHashMap<>();
    putIfMeasured(out, "downtimeMs", downtimeMs);
    putIfMeasured(out, "switchoverGapUs", switchoverGapUs);
    out.put("deviceAbsenceUs", new LinkedHashMap<>(deviceAbsenceUs));
    Map<String, Long> phases = new LinkedHashMap<>();
    phaseDurationsUs.forEach((phase, us) -> phases.put(phase.name(), us));
    out.put("phaseDurationsUs", phases);
    putIfMeasured(out, "ferryOverheadUs", ferryOverheadUs);
    putIfMeasured(out, "ferryCpuUs", ferryCpuUs);
    putIfMeasured(out, "totalTimeMs", totalTimeMs);
    putIfMeasured(out, "setupTimeMs", setupTimeMs);
    putIfMeasured(out, "bytesTransferred", bytesTransferred);
    putIfMeasured(out, "passes", passes);
    return out;
  }

  /**
   * Reads {@link #toDetail()}'s form back.
   *
   * @throws IllegalArgumentException on an unknown field or a value of the wrong type
   */
  public static MigrationFigures fromDetail(Map<String, ?> figures) {
    for (String key : figures.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new IllegalArgumentException("figures: unknown field '" + key + "'");
      }
    }
    Map<String, Long> devices = new LinkedHashMap<>();
    longMap(figures.get("deviceAbsenceUs"), "deviceAbsenceUs").forEach(devices::put);
    Map<Phase, Long> phases = new EnumMap<>(Phase.class);
    longMap(figures.get("phaseDurationsUs"), "phaseDurationsUs").forEach((name, us) -> {
      try {
        phases.put(Phase.valueOf(name), us);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("figures.phaseDurationsUs: '" + name
            + "' is not a phase");
      }
    });
    return new MigrationFigures(
        optionalLong(figures, "downtimeMs"),
        optionalLong(figures, "switchoverGapUs"),
        devices,
        phases,
        optionalLong(figures, "ferryOverheadUs"),
        optionalLong(figures, "ferryCpuUs"),
        optionalLong(figures, "totalTimeMs"),
        optionalLong(figures, "setupTimeMs"),
        optionalLong(figures, "bytesTransferred"),
        optionalLong(figures, "passes"));
  }

  private static final Set<String> KNOWN = Set.of(
      "downtimeMs", "switchoverGapUs", "deviceAbsenceUs", "phaseDurationsUs", "ferryOverheadUs",
      "ferryCpuUs", "totalTimeMs", "setupTimeMs", "bytesTransferred", "passes");

  private static void putIfMeasured(Map<String, Object> out, String name, Long value) {
    if (value != null) {
      out.put(name, value);
    }
  }

  private static Long optionalLong(Map<String, ?> figures, String name) {
    Object v = figures.get(name);
    if (v == null) {
      return null;
    }
    if (v instanceof Long || v instanceof Integer) {
      return ((Number) v).longValue();
    }
    throw new IllegalArgumentException("figures." + name + " must be a whole number");
  }

  private static Map<String, Long> longMap(Object value, String name) {
    Map<String, Long> out = new LinkedHashMap<>();
    if (value == null) {
      return out;
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("figures." + name + " must be an object");
    }
    map.forEach((k, v) -> {
      if (!(k instanceof String key) || !(v instanceof Long || v instanceof Integer)) {
        throw new IllegalArgumentException("figures." + name + " must map names to whole numbers");
      }
      out.put(key, ((Number) v).longValue());
    });
    return out;
  }

  /** Mutable accumulator for the orchestrator, which learns the figures one at a time. */
  public static final class Builder {
    private Long downtimeMs;
    private Long switchoverGapUs;
    private final Map<String, Long> deviceAbsenceUs = new LinkedHashMap<>();
    private final Map<Phase, Long> phaseDurationsUs = new EnumMap<>(Phase.class);
    private Long ferryOverheadUs;
    private Long ferryCpuUs;
    private Long totalTimeMs;
    private Long setupTimeMs;
    private Long bytesTransferred;
    private Long passes;

    public Builder downtimeMs(long v) {
      downtimeMs = v;
      return this;
    }

    public Builder switchoverGapUs(long v) {
      switchoverGapUs = v;
      return this;
    }

    public Builder deviceAbsenceUs(String device, long v) {
      deviceAbsenceUs.put(device, v);
      return this;
    }

    public Builder phaseDurationUs(Phase phase, long v) {
      phaseDurationsUs.put(phase, v);
      return this;
    }

    public Builder ferryOverheadUs(long v) {
      ferryOverheadUs = v;
      return this;
    }

    public Builder ferryCpuUs(long v) {
      ferryCpuUs = v;
      return this;
    }

    public Builder totalTimeMs(long v) {
      totalTimeMs = v;
      return this;
    }

    public Builder setupTimeMs(long v) {
      setupTimeMs = v;
      return this;
    }

    public Builder bytesTransferred(long v) {
      bytesTransferred = v;
      return this;
    }

    public Builder passes(long v) {
      passes = v;
      return this;
    }

    public MigrationFigures build() {
      return new MigrationFigures(downtimeMs, switchoverGapUs, deviceAbsenceUs, phaseDurationsUs,
          ferryOverheadUs, ferryCpuUs, totalTimeMs, setupTimeMs, bytesTransferred, passes);
    }
  }

  public static Builder builder() {
    return new Builder();
  }
}
