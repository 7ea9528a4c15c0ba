package io.ferry.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code ferry} command line. Each subcommand lives in its own class. */
@Command(
    name = "ferry",
    mixinStandardHelpOptions = true,
    versionProvider = FerryVersion.class,
    description = "Live-migrates QEMU VMs holding passthrough NICs, speaking QMP directly.",
    subcommands = {
      CommandLine.HelpCommand.class,
      DemoCommand.class,
      MigrateCommand.class,
      EventsCommand.class,
      QmpCommand.class,
      BenchCommand.class,
      DevicesCommand.class,
      ServeCommand.class
    })
public final class FerryMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and tests. */
  public static CommandLine commandLine() {
    return new CommandLine(new FerryMain()).setCaseInsensitiveEnumValuesAllowed(true);
  }
}
