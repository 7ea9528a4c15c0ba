package io.ferry.nativetests.migration;

import io.ferry.agent.cli.DaemonClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * A paced load of API reads: {@code rate} requests per second spread over a few client threads,
 * each request on its own connection (as curl would), its path chosen by slot number. Counts every
 * answer that is not a 200 as an error and records latencies.
 */
final class ApiLoad {
  /** What the load achieved. */
  record Report(long requests, long errors, List<String> firstErrors, double seconds, double p50Ms, double p99Ms) {
    double rate() {
      return requests / seconds;
    }
  }

  private final DaemonClient client;
  private final int rate;
  private final IntFunction<String> pathOfSlot;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();
  private long startNanos;
  private long stopNanos;

  ApiLoad(DaemonClient client, int rate, IntFunction<String> pathOfSlot) {
    this.client = client;
    this.rate = rate;
    this.pathOfSlot = pathOfSlot;
  }

  void start(int threadCount) {
    startNanos = System.nanoTime();
    for (int t = 0; t < threadCount; t++) {
      int first = t;
      Thread thread = new Thread(() -> run(first, threadCount), "api-load-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  private void run(int first, int stride) {
    long[] mine = new long[1 << 20];
    int n = 0;
    double period = 1e9 / rate;
    for (long slot = first; running.get(); slot += stride) {
      long due = startNanos + (long) (slot * period);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait); // pacing the load, not waiting for a state
      }
      if (!running.get()) {
        break;
      }
      String path = pathOfSlot.apply((int) slot);
      long t0 = System.nanoTime();
      try {
        DaemonClient.Reply r = client.get(path);
        if (r.status() != 200) {
          error(path + " -> " + r.status() + " " + r.body());
        }
      } catch (Exception e) {
        error(path + " -> " + e);
      }
      if (n < mine.length) {
        mine[n++] = System.nanoTime() - t0;
      }
      requests.incrementAndGet();
    }
    latencies.add(Arrays.copyOf(mine, n));
  }

  private void error(String what) {
    if (errors.incrementAndGet() <= 5) {
      firstErrors.add(what);
    }
  }

  Report stop() throws InterruptedException {
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    stopNanos = System.nanoTime();
    long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
    double p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;
    return new Report(requests.get(), errors.get(), List.copyOf(firstErrors), (stopNanos - startNanos) / 1e9, p50, p99);
  }
}
