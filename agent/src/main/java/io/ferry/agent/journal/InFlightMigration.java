package io.ferry.agent.journal;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.MigrationPlan;
import java.util.Map;
import java.util.Set;

/**
 * What the journal says about a migration that has no result: what a restarted daemon needs to
 * reconnect and to know which actions may have happened. It is only what ferry meant to do; the
 * QEMUs say what did happen.
 *
 * @param lastPhase the last phase entered
 * @param sourceDevices id → device_add properties as found on the source (empty before PREFLIGHT ended)
 * @param unplugRequested devices whose device_del may have been sent
 * @param migrateStarted migrate-incoming / migrate may have been sent
 * @param destinationAdds devices whose device_add on the destination may have been sent
 * @param contSent cont may have been sent to the destination
 * @param committed the destination accepted cont
 * @param recoveries how many restarts already took this migration over (and died doing so)
 * @param nextSeq the seq of the next journal record of this migration
 */
public record InFlightMigration(
    MigrationPlan plan,
    Phase lastPhase,
    Map<String, Map<String, Object>> sourceDevices,
    Set<String> unplugRequested,
    boolean migrateStarted,
    Set<String> destinationAdds,
    boolean contSent,
    boolean committed,
    int recoveries,
    long nextSeq) {

  public InFlightMigration {
    sourceDevices = Map.copyOf(sourceDevices);
    unplugRequested = Set.copyOf(unplugRequested);
    destinationAdds = Set.copyOf(destinationAdds);
  }

  public String id() {
    return plan.id();
  }
}
