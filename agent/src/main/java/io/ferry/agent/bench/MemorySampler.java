package io.ferry.agent.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Samples {@link AgentMemory} on its own daemon thread while one bench run's migrations are in
 * flight. A sample is a measurement, not a wait for state: VmRSS moves with garbage collection
 * and buffer pooling, so its largest value over the run is what a sampler can report. VmHWM is
 * reported beside it, but it is not an exact peak: the kernel raises its high-water mark only when
 * memory is unmapped (and counts RSS per thread in batches), so a sampled VmRSS can exceed a later
 * VmHWM by a few hundred KiB.
 */
public final class MemorySampler implements AutoCloseable {
  public static final long EVERY_MS = 50;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "ferry-bench-memory");
        thread.setDaemon(true);
        return thread;
      });
  private ScheduledFuture<?> sampling;
  private long maxRssKiB;
  private int samples;

  /** Starts a new window (the previous one's maximum is forgotten) with one sample at once. */
  public synchronized void start() throws IOException {
    stopSampling();
    maxRssKiB = 0;
    samples = 0;
    sample();
    sampling = timer.scheduleAtFixedRate(() -> {
      try {
        sample();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, EVERY_MS, EVERY_MS, TimeUnit.MILLISECONDS);
  }

  /** Ends the window with a last sample: the largest VmRSS seen and VmHWM at the end. */
  public synchronized RunMemory stop() throws IOException {
    stopSampling();
    AgentMemory last = sample();
    return new RunMemory(maxRssKiB / 1024.0, last.hwmMiB(), samples);
  }

  private synchronized AgentMemory sample() throws IOException {
    AgentMemory now = AgentMemory.read();
    maxRssKiB = Math.max(maxRssKiB, now.rssKiB());
    samples++;
    return now;
  }

  private void stopSampling() {
    if (sampling != null) {
      sampling.cancel(false);
      sampling = null;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /**
   * One run's memory: the largest VmRSS sampled while its migrations ran, VmHWM at its end, in MiB.
   */
  public record RunMemory(double maxRssMiB, double hwmMiB, int samples) {}
}
