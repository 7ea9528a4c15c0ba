package io.ferry.agent.journal;

import java.util.Locale;

/**
 * What a journal record announces ({@code detail.step}, lower-case with dashes). Each is written
 * before the action it names, except {@link #DEVICE_ADDED}, {@link #COMMITTED}, {@link
 * #HOST_DEVICE_PREPARED} and {@link #HOST_DEVICE_RELEASED}, which record what was confirmed, and
 * {@link #RESULT}, which closes the migration. An incoming migration's first record says {@code
 * detail.role: "incoming"}.
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
  /**
   * An incoming migration (this host is the destination) is about to bind the host device {@code
   * detail.host} to vfio-pci for {@code device}.
   */
  HOST_DEVICE_PREPARE,
  /** That host device is bound: a restart that finds no commit releases it. */
  HOST_DEVICE_PREPARED,
  /** That host device is given back to its driver: nothing left to release. */
  HOST_DEVICE_RELEASED,
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
