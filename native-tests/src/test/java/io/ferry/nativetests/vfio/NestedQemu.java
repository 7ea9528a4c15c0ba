package io.ferry.nativetests.vfio;

import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A guestless {@code qemu-system-x86_64} started inside the lab guest (TCG inside TCG): q35, 64
 * MiB, one PCIe root port {@code rp1} for a hot-plugged device, and a QMP socket under the state
 * directory. Two of them with the same arguments can migrate one into the other.
 */
final class NestedQemu implements AutoCloseable {
  // TCG inside TCG, with a cold JVM: far slower than the library's 5 s default.
  static final QmpOptions SLOW = QmpOptions.defaults().withConnectTimeout(Duration.ofSeconds(120))
      .withDefaultCommandTimeout(Duration.ofSeconds(120));

  final Path socket;
  private final Process process;

  private NestedQemu(Path socket, Process process) {
    this.socket = socket;
    this.process = process;
  }

  /** Starts {@code name} with {@code extra} arguments (e.g. {@code -S}, {@code -incoming defer}). */
  static NestedQemu start(Path state, String name, String... extra) throws Exception {
    Path socket = state.resolve(name + "-qmp.sock");
    List<String> cmd = new ArrayList<>(List.of(
        "qemu-system-x86_64", "-machine", "q35,accel=tcg", "-m", "64", "-nodefaults", "-display", "none",
        "-no-user-config", "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1",
        "-qmp", "unix:" + socket + ",server=on,wait=off"));
    cmd.addAll(List.of(extra));
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(state.resolve(name + "-qemu.log").toFile()).start();
    // QEMU creates its QMP socket during start-up; no event tells when (bounded wait).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(socket) && process.isAlive() && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return new NestedQemu(socket, process);
  }

  /** A new monitor connection (QEMU serves one at a time). */
  QmpClient connect() throws Exception {
    return QmpClient.connect(socket, SLOW).get(150, TimeUnit.SECONDS);
  }

  boolean exited(Duration within) throws InterruptedException {
    return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Waits for a QEMU told to quit; kills one that does not. */
  @Override
  public void close() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
