package io.ferry.vfio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs {@code modprobe NAME}, bounded in time, and reports its output when it fails. */
public final class ModprobeModuleLoader implements ModuleLoader {
  private static final long TIMEOUT_SECONDS = 30;

  @Override
  public void load(String module) throws IOException {
    if (!module.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException("not a module name: " + module);
    }
    Process process = new ProcessBuilder("modprobe", module).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("modprobe " + module + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while loading " + module, e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (process.exitValue() != 0) {
      throw new IOException("modprobe " + module + " exited " + process.exitValue() + ": " + output);
    }
  }
}
