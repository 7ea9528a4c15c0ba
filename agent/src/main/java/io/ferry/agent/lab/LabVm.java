package io.ferry.agent.lab;

import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One lab QEMU: q35 with the lab guest, its console on QEMU's stdio (read by {@link ConsoleTail}),
 * the guest heartbeat on a second serial port behind a unix socket, QMP on another unix socket,
 * and N PCIe root ports {@code rp1..rpN} to hotplug devices into.
 *
 * <p>QEMU runs as a direct child of the JVM that dies with it (see {@link LabProcesses}).
 */
public final class LabVm implements AutoCloseable {
  /** How long {@link #close()} lets QEMU shut down in order before killing it. */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(3);
  /**
   * QEMU greets on its monitor only once its main loop runs, after loading the guest; on a busy
   * 2-core machine under TCG that took over 5 s (the QMP library's default).
   */
  static final Duration QMP_CONNECT_DEADLINE = Duration.ofSeconds(30);
  /** How long QMP {@code quit} may take before {@link #close()} falls back to signals. */
  static final Duration QUIT_DEADLINE = Duration.ofSeconds(1);

  private final String name;
  private final Path workDir;
  private final Process process;
  private final ConsoleTail console;
  private final OutputStream consoleInput;
  private final List<String> commandLine;
  private CompletableFuture<QmpClient> qmp;

  LabVm(
      String name, Path workDir, Process process, ConsoleTail console, List<String> commandLine) {
    this.name = name;
    this.workDir = workDir;
    this.process = process;
    this.console = console;
    this.consoleInput = process.getOutputStream();
    this.commandLine = commandLine;
  }

  public static LabVmBuilder builder(String name, Path workDir, GuestImage image) {
    return new LabVmBuilder(name, workDir, image);
  }

  public String name() {
    return name;
  }

  public Path workDir() {
    return workDir;
  }

  public Path qmpSocket() {
    return qmpSocket(workDir, name);
  }

  /** The monitor reserved for the agent under test; the lab never connects to it. */
  public Path agentQmpSocket() {
    return agentQmpSocket(workDir, name);
  }

  public Path heartbeatSocket() {
    return heartbeatSocket(workDir, name);
  }

  public Path consoleLog() {
    return console.logFile();
  }

  /** QEMU's own stderr (warnings, errors), kept apart from the guest console. */
  public Path qemuLog() {
    return workDir.resolve(name + ".qemu.log");
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Completes with QEMU's exit code. */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /** The QEMU command line as started (the {@code setpriv} guard in front of it not shown). */
  public List<String> commandLine() {
    return commandLine;
  }

  /**
   * This VM's QMP connection, opened on first use and shared: QEMU serves one client per
   * monitor socket, so everyone using the lab VM goes through this one. {@link #close()} closes it.
   */
  public synchronized CompletableFuture<QmpClient> qmp() {
    if (qmp == null || qmp.isCompletedExceptionally()) {
      qmp = QmpClient.connect(qmpSocket(), QmpOptions.defaults().withConnectTimeout(QMP_CONNECT_DEADLINE));
    }
    return qmp;
  }

  /** Console lines so far; pass it to {@link #awaitConsole(Pattern, Duration, int)}. */
  public int consoleLineCount() {
    return console.lineCount();
  }

  public List<String> consoleLines() {
    return console.lines();
  }

  /**
   * The first console line (since boot) in which {@code pattern} is found; fails after {@code
   * deadline} or when QEMU exits first.
   */
  public CompletableFuture<String> awaitConsole(Pattern pattern, Duration deadline) {
    return console.await(pattern, deadline, 0);
  }

  /** Like {@link #awaitConsole(Pattern, Duration)}, counting only lines from {@code fromLine} on. */
  public CompletableFuture<String> awaitConsole(Pattern pattern, Duration deadline, int fromLine) {
    return console.await(pattern, deadline, fromLine);
  }

  /**
   * Stops QEMU: QMP {@code quit} over this VM's connection if it has one open, otherwise SIGTERM
   * (which QEMU handles the same way, and which needs no free monitor); SIGKILL if QEMU is still
   * there after a short grace. Java's reaper collects the process. Blocks until QEMU is gone.
   */
  @Override
  public void close() {
    closeAsync().join();
  }

  public CompletableFuture<Integer> closeAsync() {
    CompletableFuture<QmpClient> client;
    synchronized (this) {
      client = qmp;
    }
    CompletableFuture<Void> asked =
        client != null && client.isDone() && !client.isCompletedExceptionally() && process.isAlive()
            ? client.join().quit()
                .orTimeout(QUIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(error -> null)
                .thenCompose(quit -> process.onExit()
                    .completeOnTimeout(process, QUIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                .thenApply(exited -> null)
            : CompletableFuture.completedFuture(null);
    return asked
        .thenCompose(done -> LabProcesses.terminate(process, CLOSE_GRACE))
        .whenComplete(
            (code, error) -> {
              if (client != null) {
                client.thenAccept(QmpClient::close);
              }
              try {
                consoleInput.close();
              } catch (IOException ignored) {
                // QEMU is gone; the pipe with it
              }
            });
  }

  @Override
  public String toString() {
    return "LabVm[" + name + ", pid " + process.pid() + "]";
  }

  static Path agentQmpSocket(Path workDir, String name) {
    return workDir.resolve(name + ".agent.qmp.sock");
  }

  static Path qmpSocket(Path workDir, String name) {
    return workDir.resolve(name + ".qmp.sock");
  }

  static Path heartbeatSocket(Path workDir, String name) {
    return workDir.resolve(name + ".heartbeat.sock");
  }
}
