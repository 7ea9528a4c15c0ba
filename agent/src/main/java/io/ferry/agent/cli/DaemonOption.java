package io.ferry.agent.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --socket PATH} / {@code --local}, shared by the commands that work through a running
 * daemon when there is one ({@code migrate}, {@code events}, {@code devices}): with {@code
 * --socket} the daemon must answer; with neither option the daemon at the default socket is used
 * if it answers, and the command runs in this process otherwise.
 */
final class DaemonOption {
  static final Path DEFAULT_SOCKET = Path.of("/run/ferry/ferry.sock");

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Talk to the ferry daemon on this socket (default: " + "/run/ferry/ferry.sock"
          + " when a daemon answers there; otherwise the command runs in this process).")
  Path socket;

  @Option(names = "--local", description = "Run in this process even if a daemon is running.")
  boolean local;

  /** The daemon to use, or empty to run locally. */
  Optional<DaemonClient> daemon(CommandLine cli) {
    return daemon(cli, DEFAULT_SOCKET);
  }

  Optional<DaemonClient> daemon(CommandLine cli, Path defaultSocket) {
    if (local && socket != null) {
      throw new CommandLine.ParameterException(cli, "--local and --socket exclude each other");
    }
    if (local) {
      return Optional.empty();
    }
    if (socket != null) {
      DaemonClient client = new DaemonClient(socket);
      if (!client.answers()) {
        throw new CommandLine.ParameterException(cli, "no ferry daemon answers on " + socket
            + " (is `ferry serve --socket " + socket + "` running? --local runs without one)");
      }
      return Optional.of(client);
    }
    if (Files.exists(defaultSocket)) {
      DaemonClient client = new DaemonClient(defaultSocket);
      if (client.answers()) {
        return Optional.of(client);
      }
    }
    return Optional.empty();
  }
}
