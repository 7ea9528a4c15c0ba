package io.ferry.nativetests.migration;

import io.ferry.nativetests.Prerequisites;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code ferry serve} as its own process, from the shaded jar the reactor builds
 * ({@code agent/target/ferry.jar}), with its output copied to a log and watched line by line, so
 * a test can wait for what it prints and kill it with SIGKILL as a crash would.
 */
final class DaemonProcess implements AutoCloseable {
  private static final Path JAR = Path.of("..", "agent", "target", "ferry.jar").toAbsolutePath().normalize();

  private final Process process;
  private final Map<Pattern, CompletableFuture<String>> awaited = new ConcurrentHashMap<>();
  private final List<String> lines = new ArrayList<>();

  private DaemonProcess(Process process, Path log) {
    this.process = process;
    Thread reader = new Thread(() -> copy(log), "daemon-output");
    reader.setDaemon(true);
    reader.start();
  }

  static DaemonProcess start(Path socket, Path stateDir, Path log, String... extra) throws IOException {
    Prerequisites.require(Files.isRegularFile(JAR), JAR + " (built by the reactor's package phase: run with -am)");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // The JIT flags the ./ferry launcher runs every command with (see that script).
        "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=0.05"));
    // Extra JVM options for the daemon, e.g. a profiler agent: -Dferry.daemon.javaOpts="...".
    String extraJvm = System.getProperty("ferry.daemon.javaOpts", "").trim();
    if (!extraJvm.isEmpty()) {
      cmd.addAll(List.of(extraJvm.split("\\s+")));
    }
    cmd.addAll(List.of("-cp", JAR.toString(), "io.ferry.agent.cli.FerryMain", "serve",
        "--socket", socket.toString(),
        "--state-dir", stateDir.toString(),
        "--journal", stateDir.resolve("devices.journal").toString()));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    return new DaemonProcess(p, log);
  }

  /** Completes with the first line (printed from now on or before) matching {@code pattern}. */
  CompletableFuture<String> awaitLine(Pattern pattern, Duration deadline) {
    CompletableFuture<String> result = new CompletableFuture<>();
    synchronized (lines) {
      for (String line : lines) {
        if (pattern.matcher(line).find()) {
          return CompletableFuture.completedFuture(line);
        }
      }
      awaited.put(pattern, result);
    }
    return result.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGKILL: no shutdown hook, no drain, nothing written after this instant. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  long pid() {
    return process.pid();
  }

  /** SIGTERM (the graceful stop) and wait; whether it exited within {@code deadline}. */
  boolean terminate(Duration deadline) throws InterruptedException {
    process.destroy();
    return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  String output() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  private void copy(Path log) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out = Files.newBufferedWriter(log)) {
      for (String line; (line = in.readLine()) != null; ) {
        out.write(line + "\n");
        out.flush();
        synchronized (lines) {
          lines.add(line);
          String matched = line;
          awaited.entrySet().removeIf(e -> e.getKey().matcher(matched).find() && e.getValue().complete(matched));
        }
      }
    } catch (IOException e) {
      if (!exits()) {
        throw new UncheckedIOException(e);
      }
      // The JDK closes the pipe once the process has exited: the output ended with it.
    }
  }

  /**
   * Whether the process is exiting: the JDK closes its pipe as it reaps it, a moment before it
   * marks it exited, so a read can fail while {@code isAlive()} is still true.
   */
  private boolean exits() {
    try {
      return process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
