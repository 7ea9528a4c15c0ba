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
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
          + " 5 FAILED, 2 unreadable or invalid plan, or the source already being migrated."
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

  @Option(names = "--check", description = "Validate the plan and exit without migrating.")
  boolean checkOnly;

  enum EventFormat {
    text,
    ndjson
  }

  @Override
  public Integer call() {
    PrintStream out = System.out;
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
      System.err.println("ferry: cannot read plan " + planFile + ": " + describe(e));
      return ExitCodes.INVALID;
    } catch (PlanValidationException e) {
      System.err.println("ferry: invalid plan " + planFile + ":");
      for (PlanProblem problem : e.problems()) {
        System.err.println("  " + problem.path() + ": " + problem.message());
      }
      return ExitCodes.INVALID;
    }
    if (checkOnly) {
      out.println("plan " + plan.id() + " is valid");
      return ExitCodes.OK;
    }
    EventSink sink = output == EventFormat.ndjson ? event -> printLine(out, EventJson.toLine(event)) : new TextEventPrinter(out);
    Migration migration;
    try {
      migration = new Migrator(sink).start(plan);
    } catch (MigrationRefusedException e) {
      System.err.println("ferry: " + e.getMessage());
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

  private static String describe(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException ? "no such file"
        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static synchronized void printLine(PrintStream out, String line) {
    out.println(line);
    out.flush();
  }

}
