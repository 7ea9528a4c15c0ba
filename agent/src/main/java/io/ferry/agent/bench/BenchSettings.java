package io.ferry.agent.bench;

import io.ferry.agent.plan.CommitPolicy;
import java.util.Objects;

/**
 * What one {@code ferry bench migration} measures.
 *
 * @param runs how many migrations, at least 1
 * @param commit the commit policy of every run
 * @param mode what the guest carries across
 * @param devices how many e1000e in {@link BenchMode#UNPLUG_REPLUG} (one per root port)
 * @param downtimeLimitMs the plan's {@code downtime-limit} parameter, or null for QEMU's default
 * @param dirtyMbps MiB/s of guest memory the heartbeat program dirties, 0 for none
 * @param baseline what runs after each ferry run: nothing, the bare Python QMP script ({@link
 *     RawBaseline}), or the libvirt sequence's detach and attach on a libvirt domain ({@link
 *     LibvirtBaseline})
 * @param parallel how many guests each run migrates at once, 1 to {@link #MAX_PARALLEL}
 * @param warmup migrations run first and not counted
 * @param ferryCpu whether the migrations also measure ferry's own CPU time ({@code --ferry-cpu})
 */
public record BenchSettings(
    int runs, CommitPolicy commit, BenchMode mode, int devices, Long downtimeLimitMs, int dirtyMbps,
    Baseline baseline, int parallel, int warmup, boolean ferryCpu) {
  public static final int MAX_DEVICES = 8;
  /** The scale the bench is built and measured for (16 guests of 256 MiB on the development machine). */
  public static final int MAX_PARALLEL = 16;
  public static final int MAX_WARMUP = 200;

  public BenchSettings {
    Objects.requireNonNull(commit, "commit");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(baseline, "baseline");
    if (runs < 1) {
      throw new IllegalArgumentException("--runs must be at least 1");
    }
    if (devices < 1 || devices > MAX_DEVICES) {
      throw new IllegalArgumentException("--devices must be between 1 and " + MAX_DEVICES);
    }
    if (mode != BenchMode.UNPLUG_REPLUG && devices != 1) {
      throw new IllegalArgumentException("--devices applies to --mode unplug-replug only");
    }
    if (downtimeLimitMs != null && downtimeLimitMs < 1) {
      throw new IllegalArgumentException("--downtime-limit must be at least 1 ms");
    }
    if (baseline == Baseline.RAW && mode == BenchMode.FAILOVER) {
      throw new IllegalArgumentException("--baseline raw does unplug-replug or plain, not failover");
    }
    if (warmup < 0 || warmup > MAX_WARMUP) {
      throw new IllegalArgumentException("--warmup must be between 0 and " + MAX_WARMUP);
    }
    if (parallel < 1 || parallel > MAX_PARALLEL) {
      throw new IllegalArgumentException("--parallel must be between 1 and " + MAX_PARALLEL);
    }
    if (baseline == Baseline.LIBVIRT && mode != BenchMode.UNPLUG_REPLUG) {
      throw new IllegalArgumentException("--baseline libvirt detaches and attaches the NICs: --mode unplug-replug only");
    }
    if (baseline != Baseline.NONE && parallel != 1) {
      // The script moves the one guest again right after ferry's run; it has no parallel form.
      throw new IllegalArgumentException("--baseline runs with --parallel 1 only");
    }
    if (dirtyMbps < 0) {
      throw new IllegalArgumentException("--dirty-rate must not be negative");
    }
  }

  /** What runs next to ferry in the same bench. */
  public enum Baseline {
    NONE, RAW, LIBVIRT;

    /** The option's value, or null for none. */
    public String wireName() {
      return this == NONE ? null : name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public boolean rawBaseline() {
    return baseline == Baseline.RAW;
  }

  public boolean libvirtBaseline() {
    return baseline == Baseline.LIBVIRT;
  }
}
