package io.ferry.agent.plan;

/** How the ephemeral devices leave the source guest. */
public enum Mode implements WireName {
  /** ferry runs {@code device_del} before and {@code device_add} after the migration. */
  UNPLUG_REPLUG("unplug-replug"),
  /** QEMU-native virtio-net failover ({@code failover=on} / {@code failover_pair_id}): QEMU unplugs the primary. */
  FAILOVER("failover");

  private final String wireName;

  Mode(String wireName) {
    this.wireName = wireName;
  }

  @Override
  public String wireName() {
    return wireName;
  }
}
