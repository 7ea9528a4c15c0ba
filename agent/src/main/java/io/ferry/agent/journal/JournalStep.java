package io.ferry.agent.journal;

import java.util.Locale;

/**
 * What a journal record announces ({@code detail.step}, lower-case with dashes). Each is written
 * before the action it names, except {@link #DEVICE_ADDED} and {@link #COMMITTED}, which record
 * what QEMU confirmed, and {@link #RESULT}, which closes the migration.
 */
public enum JournalStep {
  /** A phase is entered; in PREFLIGHT, {@code detail.plan} holds the whole plan. */
  PHASE_ENTERED,
  /** PREFLIGHT found the source devices: {@code detail.devices} maps id to device_add properties. */
  SOURCE_DEVICES,
  /** {@code device_del} is about to be sent for {@code device}. */
  UNPLUG_REQUESTED,
  /** {@code migrate-incoming} and {@code migrate} are about to be sent. */
  MIGRATE_STARTED,
  /** {@code device_add} is about to be sent for {@code device}; {@code detail.side} says where. */
  DEVICE_ADD,
  /** QEMU accepted that {@code device_add}. */
  DEVICE_ADDED,
  /** {@code cont} is about to be sent to the destination. */
  CONT_SENT,
  /** The destination accepted {@code cont}: the guest runs there. */
  COMMITTED,
  /**
   * A rollback is about to discard the destination: {@code quit} a local one, or ask a peer agent
   * to abort its incoming migration ({@code detail.agent}).
   */
  QUIT_DESTINATION,
  /** A rollback is about to {@code cont} the source. */
  CONT_SOURCE,
  /** A restarted daemon takes over the migration; {@code detail} holds the true state it found. */
  RECOVERY_STARTED,
  /** The migration has ended ({@code kind} result, phase DONE): nothing more to recover. */
  RESULT;

  private final String wireName = name().toLowerCase(Locale.ROOT).replace('_', '-');

  public String wireName() {
    return wireName;
  }

  /** @return the step with this wire name, or null for one this version does not know */
  public static JournalStep fromWire(Object text) {
    for (JournalStep s : values()) {
      if (s.wireName.equals(text)) {
        return s;
      }
    }
    return null;
  }
}
