package io.ferry.agent.lab;

/** Which QEMU a heartbeat came through: before switchover the source, after it the destination. */
public enum HeartbeatSide {
  SOURCE,
  DESTINATION
}
