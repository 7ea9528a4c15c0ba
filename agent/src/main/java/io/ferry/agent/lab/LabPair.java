package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A local migration pair: a source running the guest and a destination with the same machine,
 * started paused and waiting for {@code migrate-incoming} ({@code -S -incoming defer}). Both are
 * started at once; {@link #close()} stops both.
 */
public final class LabPair implements AutoCloseable {
  private final LabVm source;
  private final LabVm destination;
  private final Path workDir;

  private LabPair(LabVm source, LabVm destination, Path workDir) {
    this.source = source;
    this.destination = destination;
    this.workDir = workDir;
  }

  /**
   * Starts the pair from one machine description: its devices are on both VMs (like a failover
   * standby NIC); {@code sourceOnlyDevices} only on the source (the ephemeral devices that are
   * unplugged before migrating and plugged into the destination after). The VMs are named
   * {@code <name>-src} and {@code <name>-dst}.
   */
  public static LabPair start(LabVmBuilder machine, List<String> sourceOnlyDevices) {
    String base = machine.vmName();
    LabVmBuilder sourceBuilder = machine.copy().name(base + "-src").incoming(false);
    sourceOnlyDevices.forEach(sourceBuilder::device);
    LabVmBuilder destinationBuilder = machine.copy().name(base + "-dst").incoming(true);
    Path workDir = machine.vmWorkDir();
    try {
      Files.deleteIfExists(migrationSocket(workDir));
    } catch (IOException e) {
      throw new LabException("cannot clear " + migrationSocket(workDir) + ": " + e, e);
    }
    CompletableFuture<LabVm> src = sourceBuilder.startAsync();
    CompletableFuture<LabVm> dst = destinationBuilder.startAsync();
    try {
      CompletableFuture.allOf(src, dst).join();
    } catch (CompletionException e) {
      // Whichever started must not be left running.
      src.thenAccept(LabVm::close);
      dst.thenAccept(LabVm::close);
      CompletableFuture.allOf(src, dst).handle((r, ignored) -> null).join();
      throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
    }
    return new LabPair(src.join(), dst.join(), workDir);
  }

  static Path migrationSocket(Path workDir) {
    return workDir.resolve("mig.sock");
  }

  public LabVm source() {
    return source;
  }

  public LabVm destination() {
    return destination;
  }

  /** Where the destination listens for the migration stream: {@code unix:<workdir>/mig.sock}. */
  public String migrationUri() {
    return "unix:" + migrationSocket(workDir);
  }

  public Path workDir() {
    return workDir;
  }

  /** Stops both QEMUs (in parallel) and waits until both are gone. */
  @Override
  public void close() {
    CompletableFuture.allOf(
            source.closeAsync().exceptionally(e -> -1), destination.closeAsync().exceptionally(e -> -1))
        .join();
  }
}
