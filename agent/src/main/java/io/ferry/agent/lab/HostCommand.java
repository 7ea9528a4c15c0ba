package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short host command (apt-get, dpkg, gcc) to completion. Only for the guest build, which
 * runs on the caller's own thread, never on an event loop.
 */
final class HostCommand {
  private HostCommand() {}

  /** Runs {@code command} in {@code workDir}; returns its stdout or throws with its stderr. */
  static String run(List<String> command, Path workDir, Duration timeout) {
    return run(command, workDir, timeout, Map.of());
  }

  static String run(List<String> command, Path workDir, Duration timeout, Map<String, String> env) {
    Path err = null;
    Path out = null;
    try {
      err = Files.createTempFile("ferry-cmd", ".err");
      out = Files.createTempFile("ferry-cmd", ".out");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new GuestBuildException(
            String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        String stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
        throw new GuestBuildException(
            String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + stderr);
      }
      return stdout;
    } catch (IOException e) {
      throw new GuestBuildException("cannot run " + String.join(" ", command) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestBuildException("interrupted while running " + command.get(0), e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(Path path) {
    if (path != null) {
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }
}
