package io.ferry.agent.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ferry bench ...}: measurements (not tests). Each kind of benchmark is a subcommand; bare
 * {@code ferry bench [options]} is {@code ferry bench migration [options]}, the form and
 * the bench users run most.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a benchmark and prints its figures. Without a subcommand: the migration benchmark",
      "(the same as `ferry bench migration`, with the same options)."
    },
    subcommands = {BenchQmpCommand.class, BenchMigrationCommand.class})
public final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin BenchMigrationOptions migration;

  @Override
  public Integer call() throws Exception {
    return migration.run(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /**
   * True, after saying so on stderr, when options were given to {@code ferry bench} before a
   * subcommand ({@code ferry bench --runs 3 migration}): picocli would run the subcommand with its
   * own defaults and silently drop them.
   */
  static boolean optionsBeforeSubcommand(CommandSpec subcommand) {
    CommandSpec bench = subcommand.parent();
    if (bench == null || bench.commandLine().getParseResult() == null
        || bench.commandLine().getParseResult().matchedOptions().isEmpty()) {
      return false;
    }
    subcommand.commandLine().getErr().println("ferry bench: options go after the subcommand (ferry bench "
        + subcommand.name() + " --runs ...), or leave out `" + subcommand.name() + "` for the migration bench");
    return true;
  }
}
