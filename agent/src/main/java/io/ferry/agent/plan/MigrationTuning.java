package io.ferry.agent.plan;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * QEMU migration capabilities and parameters to set on both sides before the migration
 * ({@code migrate-set-capabilities}, {@code migrate-set-parameters}). Parameter values are
 * {@link Long}, {@link Double}, {@link String} or {@link Boolean}. The orchestrator always turns
 * the {@code events} capability on; the parser refuses a plan that turns it off.
 */
public record MigrationTuning(Map<String, Boolean> capabilities, Map<String, Object> parameters) {

  /**
   * Default {@code max-bandwidth} in bytes/s: the largest whole number of MiB/s that fits a signed
   * 64-bit byte count, which is libvirt's maximum ({@code QEMU_DOMAIN_MIG_BANDWIDTH_MAX}) and which
   * libvirt sets for every migration. QEMU 7.2's own default (128 MiB/s) would make a local
   * migration of 256 MiB take about 0.6 s instead of about 0.07 s.
   */
  public static final long DEFAULT_MAX_BANDWIDTH = (Long.MAX_VALUE / (1024 * 1024)) * 1024 * 1024;

  /** QEMU's upper bound for {@code downtime-limit}: 2000 s, in milliseconds. */
  public static final long MAX_DOWNTIME_LIMIT_MS = 2_000_000;

  public MigrationTuning {
    Objects.requireNonNull(capabilities, "capabilities");
    Objects.requireNonNull(parameters, "parameters");
    capabilities = Collections.unmodifiableMap(new LinkedHashMap<>(capabilities));
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }

  /** No capabilities beyond {@code events}; {@code max-bandwidth} = {@link #DEFAULT_MAX_BANDWIDTH}. */
  public static MigrationTuning defaults() {
    return new MigrationTuning(Map.of(), Map.of("max-bandwidth", DEFAULT_MAX_BANDWIDTH));
  }
}
