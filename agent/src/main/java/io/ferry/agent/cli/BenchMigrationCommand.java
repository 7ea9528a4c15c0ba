package io.ferry.agent.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ferry bench migration}: ferry's main job repeated on the local lab, with a summary. */
@Command(
    name = "migration",
    mixinStandardHelpOptions = true,
    description = {
      "Migrates one lab guest back and forth --runs times (a fresh incoming QEMU each run),",
      "unplugging and replugging an e1000e through ferry's orchestrator, and prints each run's",
      "figures and their median (with a 95%% CI), p95 and max: QEMU downtime, total and setup time,",
      "switchover gap (STOP -> RESUME), guest heartbeat gap, NIC absence window, ferry's own",
      "overhead, wall time, each phase. --out DIR writes runs.ndjson, summary.json, report.html;",
      "--compare A.json B.json compares two summaries. Bare `ferry bench [options]` is the same;",
      "`ferry bench qmp` is the other bench."
    })
public final class BenchMigrationCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin BenchMigrationOptions options;

  @Override
  public Integer call() throws Exception {
    if (BenchCommand.optionsBeforeSubcommand(spec)) {
      return ExitCodes.INVALID;
    }
    return options.run(spec.commandLine().getOut(), spec.commandLine().getErr());
  }
}
