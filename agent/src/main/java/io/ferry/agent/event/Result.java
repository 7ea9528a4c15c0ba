package io.ferry.agent.event;

/** How a migration ended. Upper-case on the wire, as in DESIGN.md. */
public enum Result {
  /** Running on the destination with every device. */
  SUCCEEDED,
  /** Running on the destination without some non-mandatory device. */
  DEGRADED,
  /** Running on the source, as before the migration. */
  ROLLED_BACK,
  /** State needs an operator; the result event says what is where. */
  FAILED
}
