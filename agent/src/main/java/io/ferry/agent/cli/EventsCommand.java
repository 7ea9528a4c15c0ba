package io.ferry.agent.cli;

import io.ferry.agent.event.EventJson;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.EventSink;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Result;
import io.ferry.agent.event.ResultDetail;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry events [ID]}: follows the daemon's event stream, or reads saved NDJSON events. */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = {
      "Prints migration events as they happen: the daemon's stream of one migration (ID) from its",
      "first event to its result, or of every migration (no ID) until the daemon stops.",
      "With --from, reads saved NDJSON events (ferry migrate --output ndjson) instead.",
      "Exit codes: with an ID, that of the migration's result (0 SUCCEEDED, 3 DEGRADED,"
          + " 4 ROLLED_BACK, 5 FAILED); 1 no such migration or no daemon."
    })
public final class EventsCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "Only this migration.")
  String migrationId;

  @Option(names = "--output", paramLabel = "text|ndjson", defaultValue = "text",
      description = "Event format on stdout: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  MigrateCommand.EventFormat output;

  @Option(names = "--from", paramLabel = "FILE",
      description = "Read NDJSON events from FILE (- for stdin) in this process; no daemon is asked.")
  String from;

  @Mixin DaemonOption daemonOption;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    EventSink sink = output == MigrateCommand.EventFormat.ndjson
        ? event -> {
            out.println(EventJson.toLine(event));
            out.flush();
          }
        : new TextEventPrinter(out, migrationId == null);
    if (from != null) {
      return readSaved(sink, err);
    }
    Optional<DaemonClient> daemon = daemonOption.daemon(spec.commandLine());
    if (daemon.isEmpty()) {
      err.println("ferry events: no ferry daemon answers on " + DaemonOption.DEFAULT_SOCKET
          + "; use --socket PATH for another one, or --from FILE to read saved events");
      err.flush();
      return ExitCodes.ERROR;
    }
    String path = migrationId == null ? "/v1/events" : "/v1/migrations/" + migrationId + "/events";
    EventFollower follower = new EventFollower(sink, err);
    try {
      DaemonClient.Reply end = follower.follow(daemon.get(), path);
      if (end.status() != 200) {
        err.println("ferry events: " + end.errorMessage());
        err.flush();
        return ExitCodes.ERROR;
      }
    } catch (IOException e) {
      err.println("ferry events: lost the daemon on " + daemon.get().socket() + ": " + e.getMessage());
      err.flush();
      return ExitCodes.ERROR;
    }
    return exitCode(follower.lastResult());
  }

  private int readSaved(EventSink sink, PrintWriter err) {
    Result last = null;
    try (BufferedReader in = from.equals("-")
        ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
        : Files.newBufferedReader(Path.of(from), StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        MigrationEvent event;
        try {
          event = EventJson.fromLine(line);
        } catch (IllegalArgumentException e) {
          err.println("ferry events: " + from + " line " + lineNo + " is not an event: " + e.getMessage());
          err.flush();
          return ExitCodes.INVALID;
        }
        if (migrationId == null || migrationId.equals(event.migration())) {
          if (event.kind() == EventKind.RESULT) {
            last = ResultDetail.of(event).result();
          }
          sink.accept(event);
        }
      }
    } catch (IOException e) {
      err.println("ferry events: cannot read " + from + ": " + MigrateCommand.describe(e));
      err.flush();
      return ExitCodes.INVALID;
    }
    return exitCode(Optional.ofNullable(last));
  }

  private int exitCode(Optional<Result> result) {
    return migrationId == null ? ExitCodes.OK : result.map(ExitCodes::of).orElse(ExitCodes.ERROR);
  }
}
