package io.ferry.agent.bench;

import java.util.Arrays;

/** What the benchmarked guest carries across each migration. */
public enum BenchMode {
  /** K e1000e unplugged before and replugged after the migration (ferry's main job). */
  UNPLUG_REPLUG("unplug-replug"),
  /** A virtio-net standby with an e1000e primary ({@code failover_pair_id}) on both sides. */
  FAILOVER("failover"),
  /** No ephemeral device: QEMU's migration through ferry alone, the baseline. */
  PLAIN("plain");

  private final String wireName;

  BenchMode(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static BenchMode fromWire(String text) {
    return Arrays.stream(values())
        .filter(m -> m.wireName.equals(text))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "'" + text + "' is not a mode (unplug-replug, failover, plain)"));
  }
}
