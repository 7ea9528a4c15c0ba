package io.ferry.agent.plan;

/** What a device's absence on the destination means; modelled on libvirt's USB startupPolicy. */
public enum DevicePolicy implements WireName {
  /** Must be plugged on the destination, or the migration fails back to the source. */
  MANDATORY("mandatory"),
  /** Must be present at preflight; a late replug failure only degrades the result. */
  REQUISITE("requisite"),
  /** Best effort. */
  OPTIONAL("optional");

  private final String wireName;

  DevicePolicy(String wireName) {
    this.wireName = wireName;
  }

  @Override
  public String wireName() {
    return wireName;
  }
}
