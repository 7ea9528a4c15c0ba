package io.ferry.agent.plan;

/** When the destination guest is resumed relative to plugging the devices back. */
public enum CommitPolicy implements WireName {
  /** Plug into the paused destination, then {@code cont}: a mandatory failure can still fail back. */
  AFTER_REPLUG("after-replug"),
  /** {@code cont} first, then plug: shortest downtime, but a replug failure can only degrade. */
  BEFORE_REPLUG("before-replug");

  private final String wireName;

  CommitPolicy(String wireName) {
    this.wireName = wireName;
  }

  @Override
  public String wireName() {
    return wireName;
  }
}
