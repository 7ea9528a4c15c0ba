package io.ferry.agent.bench;

import io.ferry.qmp.QmpClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round-trip latency of {@code query-status}: ferry's client against a raw blocking socket, each
 * sequential and with 8 commands in flight. The four loops alternate in rounds so that machine
 * noise (2 shared cores) spreads over all of them alike.
 */
public final class QmpLatencyBench {
  public static final int WINDOW = 8;
  private static final int ROUNDS = 4;

  /**
   * Latencies of one run. {@code ferrySequential}: a caller thread blocks on each reply (two thread
   * hand-offs per command: caller → I/O thread → caller). {@code ferryChained}: each reply's
   * callback sends the next command, on the I/O thread (no hand-off; how the orchestrator chains
   * stages). {@code ferryWindow}: 8 outstanding, chained the same way.
   */
  public record Result(
      LatencyStats ferrySequential,
      LatencyStats ferryChained,
      LatencyStats rawSequential,
      LatencyStats ferryWindow,
      LatencyStats rawWindow,
      CpuCost cpu) {}

  /**
   * This process's CPU time (all threads: caller, I/O, GC, JIT) per command in the sequential
   * loops. Unlike latency it hardly depends on how busy the machine is, so it shows the library's
   * own cost next to the raw client's.
   */
  public record CpuCost(
      double ferrySequentialMicros, double ferryChainedMicros, double rawSequentialMicros) {}

  private QmpLatencyBench() {}

  public static Result run(Path socket, int iterations) throws Exception {
    if (iterations < ROUNDS * WINDOW) {
      throw new IllegalArgumentException("iterations must be at least " + ROUNDS * WINDOW);
    }
    int perRound = iterations / ROUNDS;
    // Long enough for C2 to finish compiling the hot paths even on a loaded machine.
    int warmup = Math.min(5000, iterations);
    // Warm both paths (JIT, Netty buffers) before measuring anything.
    ferrySequential(socket, warmup);
    rawSequential(socket, warmup);
    ferryWindow(socket, warmup, 1);
    ferryWindow(socket, warmup, WINDOW);
    rawWindow(socket, warmup);
    long[] fs = new long[perRound * ROUNDS];
    long[] fc = new long[perRound * ROUNDS];
    long[] rs = new long[perRound * ROUNDS];
    long[] fw = new long[perRound * ROUNDS];
    long[] rw = new long[perRound * ROUNDS];
    long ferryCpu = 0;
    long rawCpu = 0;
    long chainedCpu = 0;
    for (int round = 0; round < ROUNDS; round++) {
      long c0 = processCpuNanos();
      System.arraycopy(ferrySequential(socket, perRound), 0, fs, round * perRound, perRound);
      long c1 = processCpuNanos();
      System.arraycopy(rawSequential(socket, perRound), 0, rs, round * perRound, perRound);
      long c2 = processCpuNanos();
      ferryCpu += c1 - c0;
      rawCpu += c2 - c1;
      long c3 = processCpuNanos();
      System.arraycopy(ferryWindow(socket, perRound, 1), 0, fc, round * perRound, perRound);
      chainedCpu += processCpuNanos() - c3;
      System.arraycopy(ferryWindow(socket, perRound, WINDOW), 0, fw, round * perRound, perRound);
      System.arraycopy(rawWindow(socket, perRound), 0, rw, round * perRound, perRound);
    }
    return new Result(
        LatencyStats.of(fs),
        LatencyStats.of(fc),
        LatencyStats.of(rs),
        LatencyStats.of(fw),
        LatencyStats.of(rw),
        new CpuCost(
            ferryCpu / 1000.0 / (perRound * ROUNDS),
            chainedCpu / 1000.0 / (perRound * ROUNDS),
            rawCpu / 1000.0 / (perRound * ROUNDS)));
  }

  private static long processCpuNanos() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
  }

  static long[] ferrySequential(Path socket, int n) throws Exception {
    long[] samples = new long[n];
    try (QmpClient client = QmpClient.connect(socket).get(10, TimeUnit.SECONDS)) {
      for (int i = 0; i < n; i++) {
        long start = System.nanoTime();
        client.execute("query-status", null).get(10, TimeUnit.SECONDS);
        samples[i] = System.nanoTime() - start;
      }
    }
    return samples;
  }

  /** Keeps {@code window} commands outstanding; each completion sends the next. */
  static long[] ferryWindow(Path socket, int n, int window) throws Exception {
    long[] samples = new long[n];
    try (QmpClient client = QmpClient.connect(socket).get(10, TimeUnit.SECONDS)) {
      AtomicInteger issued = new AtomicInteger();
      AtomicInteger done = new AtomicInteger();
      CompletableFuture<Void> all = new CompletableFuture<>();
      Runnable[] issue = new Runnable[1];
      issue[0] =
          () -> {
            int i = issued.getAndIncrement();
            if (i >= n) {
              return;
            }
            long start = System.nanoTime();
            client
                .execute("query-status", null)
                .whenComplete(
                    (r, e) -> {
                      samples[i] = System.nanoTime() - start;
                      if (e != null) {
                        all.completeExceptionally(e);
                        return;
                      }
                      if (done.incrementAndGet() == n) {
                        all.complete(null);
                      } else {
                        issue[0].run();
                      }
                    });
          };
      for (int k = 0; k < window; k++) {
        issue[0].run();
      }
      all.get(60, TimeUnit.SECONDS);
    }
    return samples;
  }

  static long[] rawSequential(Path socket, int n) throws IOException {
    long[] samples = new long[n];
    try (RawQmpClient raw = new RawQmpClient(socket)) {
      for (int i = 0; i < n; i++) {
        long start = System.nanoTime();
        raw.sendQueryStatus();
        raw.readLine();
        samples[i] = System.nanoTime() - start;
      }
    }
    return samples;
  }

  /** Same window of 8 on the raw socket; QEMU answers in-band commands in order. */
  static long[] rawWindow(Path socket, int n) throws IOException {
    long[] samples = new long[n];
    long[] sentAt = new long[n];
    try (RawQmpClient raw = new RawQmpClient(socket)) {
      int sent = 0;
      for (; sent < Math.min(WINDOW, n); sent++) {
        sentAt[sent] = System.nanoTime();
        raw.sendQueryStatus();
      }
      for (int received = 0; received < n; received++) {
        raw.readLine();
        samples[received] = System.nanoTime() - sentAt[received];
        if (sent < n) {
          sentAt[sent] = System.nanoTime();
          raw.sendQueryStatus();
          sent++;
        }
      }
    }
    return samples;
  }
}
