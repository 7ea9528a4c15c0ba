package io.ferry.agent.journal;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.MigrationPlan;
import java.util.List;

/**
 * What the journal says about an incoming migration (this host was the destination) that has no
 * result: enough for a restarted daemon to give back what it bound, unless the guest runs here.
 *
 * @param lastPhase the last phase entered
 * @param prepared host PCI addresses bound for it and not yet released
 * @param contSent cont may have been sent to the destination QEMU
 * @param committed the destination QEMU accepted cont
 * @param nextSeq the seq of the next journal record of this migration
 */
public record InFlightIncoming(
    MigrationPlan plan, Phase lastPhase, List<String> prepared, boolean contSent, boolean committed, long nextSeq) {

  public InFlightIncoming {
    prepared = List.copyOf(prepared);
  }

  public String id() {
    return plan.id();
  }
}
