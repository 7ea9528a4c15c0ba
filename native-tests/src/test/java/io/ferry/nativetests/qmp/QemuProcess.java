package io.ferry.nativetests.qmp;

import io.ferry.nativetests.Prerequisites;
import io.ferry.qmp.QmpSocketProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A paused, empty q35 QEMU started as a direct child (never -daemonize: this machine's init reaps
 * orphans late), with its QMP socket in a private directory. {@link #close()} kills and reaps it.
 */
public final class QemuProcess implements AutoCloseable {
  private final Process process;
  private final Path qmpSocket;
  private final Path directory;

  private QemuProcess(Process process, Path qmpSocket, Path directory) {
    this.process = process;
    this.qmpSocket = qmpSocket;
    this.directory = directory;
  }

  /** Starts {@code qemu-system-x86_64 -machine q35,accel=tcg -nodefaults -display none -S} + extras. */
  public static QemuProcess start(String... extraArgs) throws IOException {
    Path qemu =
        Prerequisites.requireProgram(
            "qemu-system-x86_64", "apt-get install -y --no-install-recommends qemu-system-x86");
    Path directory = Files.createTempDirectory("ferry-qemu-");
    Path socket = directory.resolve("qmp.sock");
    List<String> command = new ArrayList<>();
    command.add(qemu.toString());
    command.addAll(
        List.of(
            "-machine", "q35,accel=tcg",
            "-m", "64",
            "-nodefaults",
            "-display", "none",
            "-S",
            "-qmp", "unix:" + socket + ",server=on,wait=off",
            "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1"));
    command.addAll(List.of(extraArgs));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(directory.resolve("qemu.log").toFile())
            .start();
    QemuProcess qemuProcess = new QemuProcess(process, socket, directory);
    try {
      qemuProcess.awaitSocket(Duration.ofSeconds(20));
    } catch (IOException | RuntimeException e) {
      qemuProcess.close();
      throw e;
    }
    return qemuProcess;
  }

  /**
   * QEMU binds, then listens on, its socket during start-up; the kernel offers no event for
   * "now listening", so this is a bounded wait on the condition with a deadline.
   */
  private void awaitSocket(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!QmpSocketProbe.isListening(qmpSocket)) {
      if (!process.isAlive()) {
        throw new IOException("QEMU exited early (" + process.exitValue() + "): " + log());
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("QEMU did not listen on " + qmpSocket + " within " + timeout);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  public Path qmpSocket() {
    return qmpSocket;
  }

  public Path directory() {
    return directory;
  }

  public long pid() {
    return process.pid();
  }

  public Process process() {
    return process;
  }

  public String log() {
    try {
      return Files.readString(directory.resolve("qemu.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGKILL, then wait for the exit status (reaped by us, not by init). */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
    try (var files = Files.walk(directory)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A leftover temp directory is harmless.
    }
  }
}
