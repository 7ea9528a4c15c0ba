package io.ferry.agent.migration;

import io.ferry.qmp.QmpClient;
import java.util.concurrent.CompletableFuture;

/**
 * Whether QEMU really plugged a failover primary. On FAILOVER_NEGOTIATED QEMU adds the primary it
 * holds hidden for that standby, and when it holds none it only prints a warning: the event is
 * the same. So ferry asks for the primary itself.
 */
final class PrimaryCheck {
  private PrimaryCheck() {}

  /** Completes when {@code primary} exists and is realized on the QEMU of {@code qmp}; fails saying why not. */
  static CompletableFuture<Void> plugged(QmpClient qmp, String primary, String standby) {
    return qmp.qomGet("/machine/peripheral/" + primary, "realized").handle((realized, error) -> {
      if (error == null && realized.asBoolean(false)) {
        return null;
      }
      throw new IllegalStateException("QEMU reported FAILOVER_NEGOTIATED for " + standby + " but plugged no "
          + primary + " (" + (error == null ? "not realized" : Errors.message(error))
          + "): the destination QEMU has no primary with failover_pair_id=" + standby);
    });
  }
}
