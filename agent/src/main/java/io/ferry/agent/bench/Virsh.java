package io.ferry.agent.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code virsh -c URI ...} as a child process with an argument list (no shell): the libvirt
 * baseline's only way of talking to libvirtd, as a user would.
 */
final class Virsh {
  /** What one virsh command did. */
  record Result(int exitCode, String stdout, String stderr) {
    boolean ok() {
      return exitCode == 0;
    }

    /** stderr, or stdout when stderr is empty, on one line. */
    String message() {
      String text = stderr.isBlank() ? stdout : stderr;
      return text.strip().replaceAll("\\s*\\n\\s*", "; ");
    }
  }

  /** Runs one virsh command; a seam for the tests of the refusal reasons. */
  @FunctionalInterface
  interface Runner {
    Result run(List<String> arguments, Duration timeout) throws IOException, InterruptedException;
  }

  private Virsh() {}

  /** The command line: the virsh program, {@code -c uri}, then the arguments. */
  static List<String> command(Path virsh, String uri, List<String> arguments) {
    List<String> command = new ArrayList<>(List.of(virsh.toString(), "-q", "-c", uri));
    command.addAll(arguments);
    return command;
  }

  /** A runner of the real virsh at {@code virsh} against {@code uri}. */
  static Runner runner(Path virsh, String uri) {
    return (arguments, timeout) -> run(command(virsh, uri, arguments), timeout);
  }

  static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      return new Result(-1, out.join(), "virsh " + String.join(" ", command.subList(1, command.size()))
          + " did not end within " + timeout.toSeconds() + " s");
    }
    return new Result(process.exitValue(), out.join(), err.join());
  }

  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (in) {
        text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        text.complete("");
      }
    }, "ferry-virsh-output");
    reader.setDaemon(true);
    reader.start();
    return text;
  }
}
