package io.ferry.agent.lab;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Starts the lab's QEMU processes so that none can outlive the JVM.
 *
 * <ul>
 *   <li>Each QEMU is a direct child of the JVM, started through {@code setpriv --pdeathsig KILL}
 *       (util-linux), which sets PR_SET_PDEATHSIG and then execs QEMU: the kernel SIGKILLs QEMU
 *       when its parent dies, even by SIGKILL, where no Java code runs.
 *   <li>The kernel ties the parent-death signal to the parent <em>thread</em>, not the process:
 *       a QEMU forked from a short-lived thread (a test runner's, a pool's) would be killed when
 *       that thread ends. So every launch happens on one daemon thread that lives as long as the
 *       JVM.
 *   <li>A shutdown hook kills whatever is still running on an orderly JVM exit; Java's process
 *       reaper waits for every child, so no zombie is left.
 * </ul>
 */
public final class LabProcesses {
  private LabProcesses() {}

  private static final ExecutorService LAUNCHER =
      Executors.newSingleThreadExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "ferry-lab-launcher");
            thread.setDaemon(true);
            return thread;
          });

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final Set<Long> EVER_STARTED = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(LabProcesses::killAll, "ferry-lab-shutdown"));
  }

  /** Starts {@code command} (program first) as a child that dies with this JVM. */
  static CompletableFuture<Process> start(List<String> command, ProcessBuilder template) {
    List<String> guarded = new ArrayList<>(List.of(setpriv(), "--pdeathsig", "KILL", "--"));
    guarded.addAll(command);
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            ProcessBuilder builder = template.command(guarded);
            Process process = builder.start();
            LIVE.add(process);
            EVER_STARTED.add(process.pid());
            process.onExit().thenRun(() -> LIVE.remove(process));
            return process;
          } catch (IOException e) {
            throw new LabException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
          }
        },
        LAUNCHER);
  }

  /** The pids of every process the lab started in this JVM, live or not (for cleanup checks). */
  public static Set<Long> everStarted() {
    return Set.copyOf(EVER_STARTED);
  }

  /** Ends {@code process}: SIGTERM (QEMU shuts down in order), SIGKILL after {@code grace}. */
  static CompletableFuture<Integer> terminate(Process process, Duration grace) {
    if (!process.isAlive()) {
      return process.onExit().thenApply(Process::exitValue);
    }
    process.destroy();
    return process
        .onExit()
        .completeOnTimeout(null, grace.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(
            exited -> {
              if (exited == null) {
                process.destroyForcibly();
              }
              return process.onExit();
            })
        .thenApply(Process::exitValue);
  }

  private static void killAll() {
    for (Process process : LIVE) {
      process.destroyForcibly();
    }
    for (Process process : LIVE) {
      try {
        process.waitFor(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static String setpriv() {
    return HostPrerequisites.findOnPath("setpriv")
        .map(Object::toString)
        .orElseThrow(
            () ->
                new LabException(
                    "setpriv (util-linux) is not on PATH; install it with: apt-get install util-linux"));
  }
}
