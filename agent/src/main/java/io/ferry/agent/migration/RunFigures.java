package io.ferry.agent.migration;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.qmp.MigrationInfo;

/** A finished run's figures: its timeline and wait clock, and QEMU's own for the completed stream. */
final class RunFigures {
  private RunFigures() {}

  /** {@code completed}: QEMU's figures once the stream completed, or null (it never did). */
  static MigrationFigures of(RunContext ctx, MigrationInfo completed) {
    long overheadUs = Math.max(0, (ctx.timeline.elapsedNs() - ctx.waits.waitedNs()) / 1_000);
    Long cpuNs = ctx.waits.ownCpuNs();
    boolean ram = completed != null && completed.ram() != null;
    return new MigrationFigures(
        completed == null ? null : completed.downtimeMs(),
        ctx.timeline.switchoverGapUs(),
        ctx.timeline.deviceAbsenceUs(),
        ctx.timeline.phaseDurationsUs(),
        overheadUs,
        cpuNs == null ? null : cpuNs / 1_000,
        completed == null ? null : completed.totalTimeMs(),
        completed == null ? null : completed.setupTimeMs(),
        ram ? completed.ram().transferred() : null,
        ram ? completed.ram().dirtySyncCount() : null);
  }
}
