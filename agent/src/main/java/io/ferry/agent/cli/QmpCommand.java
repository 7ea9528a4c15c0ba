package io.ferry.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ferry.qmp.EventSubscription;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpCommandException;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpEventListener;
import io.ferry.qmp.QmpException;
import io.ferry.qmp.QmpOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry qmp SOCKET COMMAND [JSON-ARGS] [--events] [--timeout D]}: one QMP command, its reply
 * as one JSON line on stdout, and with {@code --events} every event as a JSON line until Ctrl-C or
 * until QEMU goes away.
 */
@Command(
    name = "qmp",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one QMP command against a QEMU monitor socket and prints the reply as JSON.",
      "Exit codes: 0 ok, 1 QEMU answered an error, 2 bad usage, 3 connection failed or timed out."
    })
public final class QmpCommand implements Callable<Integer> {
  static final int EXIT_COMMAND_ERROR = 1;
  static final int EXIT_USAGE = 2;
  static final int EXIT_CONNECTION = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Parameters(index = "0", paramLabel = "SOCKET", description = "QEMU's QMP unix socket")
  Path socket;

  @Parameters(index = "1", paramLabel = "COMMAND", description = "e.g. query-status, device_del")
  String command;

  @Parameters(
      index = "2",
      arity = "0..1",
      paramLabel = "JSON-ARGS",
      description = "arguments as a JSON object, e.g. '{\"id\":\"hostnet1\"}'")
  String jsonArguments;

  @Option(names = "--events", description = "after the reply, print events as JSON lines until Ctrl-C")
  boolean events;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "10s",
      description = "deadline to connect and for the command (default: ${DEFAULT-VALUE})")
  Duration timeout;

  private final PrintStream out;
  private final PrintStream err;

  public QmpCommand() {
    this(System.out, System.err);
  }

  /** For embedding and tests: output goes to the given streams. */
  public QmpCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    ObjectNode arguments;
    try {
      arguments = parseArguments(jsonArguments);
    } catch (IllegalArgumentException e) {
      err.println("ferry qmp: " + e.getMessage());
      return EXIT_USAGE;
    }
    if (!Files.exists(socket)) {
      err.println("ferry qmp: no such socket: " + socket);
      return EXIT_CONNECTION;
    }
    QmpOptions options =
        QmpOptions.defaults().withConnectTimeout(timeout).withDefaultCommandTimeout(timeout);
    QmpClient client;
    try {
      client = QmpClient.connect(socket, options).get();
    } catch (ExecutionException e) {
      err.println("ferry qmp: " + e.getCause().getMessage());
      return EXIT_CONNECTION;
    }
    try (client) {
      EventSubscription subscription = events ? client.subscribe(new EventPrinter(), 4096) : null;
      JsonNode reply;
      try {
        reply = client.execute(command, arguments).join();
      } catch (CompletionException e) {
        return report(e.getCause());
      }
      synchronized (out) {
        out.println(JSON.writeValueAsString(reply));
        out.flush();
      }
      if (subscription == null) {
        return 0;
      }
      // Streams until QEMU goes away or Ctrl-C; the hook closes the socket politely on Ctrl-C.
      Runtime.getRuntime().addShutdownHook(new Thread(client::close, "ferry-qmp-close"));
      Throwable end = client.disconnected().join();
      err.println("ferry qmp: " + end.getMessage());
      return 0;
    }
  }

  private int report(Throwable failure) {
    if (failure instanceof QmpCommandException q) {
      err.println("ferry qmp: " + q.errorClass() + ": " + q.description());
      return EXIT_COMMAND_ERROR;
    }
    if (failure instanceof IllegalArgumentException) {
      err.println("ferry qmp: " + failure.getMessage());
      return EXIT_USAGE;
    }
    err.println(
        "ferry qmp: "
            + (failure instanceof QmpException ? failure.getMessage() : String.valueOf(failure)));
    return EXIT_CONNECTION;
  }

  static ObjectNode parseArguments(String json) {
    if (json == null || json.isBlank()) {
      return null;
    }
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException("JSON-ARGS is not valid JSON: " + json);
    }
    if (!(tree instanceof ObjectNode object)) {
      throw new IllegalArgumentException("JSON-ARGS must be a JSON object, got: " + json);
    }
    return object;
  }

  /** One line per event, in QEMU's own wire shape (event, data, timestamp). */
  private final class EventPrinter implements QmpEventListener {
    @Override
    public void onEvent(QmpEvent event) {
      ObjectNode line = JSON.createObjectNode();
      line.put("event", event.name());
      line.set("data", event.data());
      line.putObject("timestamp")
          .put("seconds", event.timestamp().seconds())
          .put("microseconds", event.timestamp().microseconds());
      synchronized (out) {
        out.println(line);
        out.flush();
      }
    }

    @Override
    public void onClosed(Throwable reason) {
      if (!(reason instanceof io.ferry.qmp.QmpDisconnectedException)) {
        err.println("ferry qmp: event stream ended: " + reason.getMessage());
      }
    }
  }
}
