package io.ferry.agent.event;

/**
 * The phases of a migration, as they appear in events ({@code "phase":"UNPLUG"}). {@link #DONE} is
 * the phase of exactly one event per migration: the last, of kind {@link EventKind#RESULT}.
 */
public enum Phase {
  PREFLIGHT,
  UNPLUG,
  MIGRATE,
  REPLUG,
  COMMIT,
  CLEANUP,
  ROLLBACK,
  DONE
}
