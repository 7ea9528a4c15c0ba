package io.ferry.agent.cli;

import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.migration.Migration;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.MigrationRefusedException;
import io.ferry.agent.migration.Migrator;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.PlanParser;
import io.ferry.agent.plan.PlanProblem;
import io.ferry.agent.plan.PlanValidationException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry migrate PLAN}: runs one migration from a plan file and streams its events. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Migrates a VM as a plan file (JSON) describes, printing every event as it happens.",
      "'-' reads the plan from standard input. Ctrl-C cancels: before the commit the VM is"
          + " rolled back to the source. Exit codes: 0 SUCCEEDED, 3 DEGRADED, 4 ROLLED_BACK,"
          + " 5 FAILED, 2 unreadable or invalid plan, or the source already being migrated.",
      "When a ferry daemon runs (--socket, or one answering on /run/ferry/ferry.sock) the plan is"
          + " sent to it and its events are followed; Ctrl-C then asks the daemon to cancel."
    })
public final class MigrateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "PLAN", description = "Plan file (JSON), or - for stdin.")
  String planFile;

  @Option(
      names = "--output",
      paramLabel = "text|ndjson",
      defaultValue = "text",
      description = "Event format on stdout: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  EventFormat output;

  @Option(names = "--check", description = "Validate the plan (in this process) and exit without migrating.")
  boolean checkOnly;

  @Mixin DaemonOption daemonOption;

  @Spec CommandSpec spec;

  enum EventFormat {
    text,
    ndjson
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    EventSink sink = output == EventFormat.ndjson ? event -> printLine(out, EventJson.toLine(event)) : new TextEventPrinter(out);
    if (!checkOnly) {
      Optional<DaemonClient> daemon = daemonOption.daemon(spec.commandLine());
      if (daemon.isPresent()) {
        byte[] body;
        try {
          body = readPlanBytes();
        } catch (IOException e) {
          err.println("ferry: cannot read plan " + planFile + ": " + describe(e));
          err.flush();
          return ExitCodes.INVALID;
        }
        return new DaemonMigrate(daemon.get(), sink, err).run(planFile, body);
      }
    }
    MigrationPlan plan;
    try {
      // Parsed from the stream: the parser stops reading past its 1 MiB cap.
      if (planFile.equals("-")) {
        plan = PlanParser.parse(System.in);
      } else {
        try (java.io.InputStream in = Files.newInputStream(Path.of(planFile))) {
          plan = PlanParser.parse(in);
        }
      }
    } catch (IOException e) {
      err.println("ferry: cannot read plan " + planFile + ": " + describe(e));
      err.flush();
      return ExitCodes.INVALID;
    } catch (PlanValidationException e) {
      err.println("ferry: invalid plan " + planFile + ":");
      for (PlanProblem problem : e.problems()) {
        err.println("  " + problem.path() + ": " + problem.message());
      }
      err.flush();
      return ExitCodes.INVALID;
    }
    if (checkOnly) {
      out.println("plan " + plan.id() + " is valid");
      out.flush();
      return ExitCodes.OK;
    }
    Migration migration;
    try {
      migration = new Migrator(sink).start(plan);
    } catch (MigrationRefusedException e) {
      err.println("ferry: " + e.getMessage());
      err.flush();
      return ExitCodes.INVALID;
    }
    Thread cancelOnInterrupt = new Thread(() -> {
      migration.cancel();
      migration.outcome().join();
    }, "ferry-cancel");
    Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
    MigrationOutcome outcome = migration.outcome().join();
    try {
      Runtime.getRuntime().removeShutdownHook(cancelOnInterrupt);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already exiting through the hook; the outcome is final either way
    }
    return ExitCodes.of(outcome.result());
  }

  /** The plan's bytes as given (the daemon validates them); one byte past the cap, so it sees too big. */
  private byte[] readPlanBytes() throws IOException {
    if (planFile.equals("-")) {
      return System.in.readNBytes(PlanParser.MAX_BYTES + 1);
    }
    try (java.io.InputStream in = Files.newInputStream(Path.of(planFile))) {
      return in.readNBytes(PlanParser.MAX_BYTES + 1);
    }
  }

  static String describe(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException ? "no such file"
        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static synchronized void printLine(PrintWriter out, String line) {
    out.println(line);
    out.flush();
  }

}
