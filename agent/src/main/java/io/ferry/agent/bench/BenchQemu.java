package io.ferry.agent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A paused, empty QEMU for the benchmark, started as a direct child and reaped on close. */
public final class BenchQemu implements AutoCloseable {
  private final Process process;
  private final Path directory;
  private final Path socket;

  private BenchQemu(Process process, Path directory, Path socket) {
    this.process = process;
    this.directory = directory;
    this.socket = socket;
  }

  public static BenchQemu start() throws IOException, InterruptedException {
    Path directory = Files.createTempDirectory("ferry-bench-");
    Path socket = directory.resolve("qmp.sock");
    Process process =
        new ProcessBuilder(
                List.of(
                    "qemu-system-x86_64",
                    "-machine", "q35,accel=tcg",
                    "-m", "64",
                    "-nodefaults",
                    "-display", "none",
                    "-S",
                    "-qmp", "unix:" + socket + ",server=on,wait=off"))
            .redirectErrorStream(true)
            .redirectOutput(directory.resolve("qemu.log").toFile())
            .start();
    BenchQemu qemu = new BenchQemu(process, directory, socket);
    // QEMU creates the socket while starting; no event exists for that, so wait with a deadline.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!io.ferry.qmp.QmpSocketProbe.isListening(socket)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        qemu.close();
        throw new IOException(
            "QEMU did not start: " + Files.readString(directory.resolve("qemu.log")));
      }
      Thread.sleep(10);
    }
    return qemu;
  }

  public Path socket() {
    return socket;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    try (var files = Files.walk(directory)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A leftover temp directory is harmless.
    }
  }
}
