package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Starts one lab QEMU from its command line: checks the host, clears its sockets, launches it,
 * tails its console, and completes once its monitors and heartbeat socket exist; a QEMU that does
 * not get there is stopped and the error carries the end of its log.
 */
final class LabVmLauncher {
  private LabVmLauncher() {}

  static CompletableFuture<LabVm> start(String name, Path workDir, List<String> command, List<String> launchPrefix,
      Duration deadline) {
    List<Path> sockets = List.of(LabVm.qmpSocket(workDir, name), LabVm.agentQmpSocket(workDir, name),
        LabVm.heartbeatSocket(workDir, name));
    try {
      HostPrerequisites.ensure(HostPrerequisites.forRunningVms(), line -> {});
    } catch (GuestBuildException missing) {
      return CompletableFuture.failedFuture(new LabException(missing.getMessage(), missing));
    }
    try {
      Files.createDirectories(workDir);
      for (Path socket : sockets) {
        if (socket.toString().length() > 107) {
          throw new LabException("socket path too long for a unix socket (max 107): " + socket);
        }
        Files.deleteIfExists(socket);
      }
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new LabException("cannot prepare " + workDir + ": " + e, e));
    }
    Path qemuLog = workDir.resolve(name + ".qemu.log");
    ProcessBuilder template = new ProcessBuilder()
        .directory(workDir.toFile())
        .redirectError(qemuLog.toFile())
        .redirectOutput(ProcessBuilder.Redirect.PIPE)
        .redirectInput(ProcessBuilder.Redirect.PIPE);
    List<String> launched = new ArrayList<>(launchPrefix);
    launched.addAll(command);
    return LabProcesses.start(launched, template).thenCompose(process -> {
      ConsoleTail console;
      try {
        console = ConsoleTail.start(name, process.getInputStream(), workDir.resolve(name + ".console.log"));
      } catch (IOException e) {
        process.destroyForcibly();
        throw new CompletionException(new LabException("cannot write the console log: " + e, e));
      }
      LabVm vm = new LabVm(name, workDir, process, console, command);
      return SocketFiles.awaitCreated(sockets, process, deadline).handle((ready, error) -> {
        if (error != null) {
          vm.close();
          throw new CompletionException(new LabException(
              "QEMU " + name + " did not start: " + rootMessage(error) + "; " + tailOf(qemuLog), error));
        }
        return vm;
      });
    });
  }

  private static String rootMessage(Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage();
  }

  private static String tailOf(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return "QEMU said: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "no QEMU log";
    }
  }
}
