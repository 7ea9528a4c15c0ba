package io.ferry.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The waiting clock counts the union of overlapping waits, so overhead is never negative. */
class WaitClockTest {
  @Test
  void overlappingWaitsCountOnceAndAnOpenWaitCountsSoFar() throws Exception {
    WaitClock clock = new WaitClock(false);
    assertThat(clock.waitedNs()).isZero();

    CompletableFuture<Void> first = new CompletableFuture<>();
    CompletableFuture<Void> second = new CompletableFuture<>();
    clock.track(first);
    clock.track(second);
    long before = System.nanoTime();
    Thread.sleep(20);
    first.complete(null);
    long openWhileSecondRuns = clock.waitedNs();
    assertThat(openWhileSecondRuns).as("still waiting on the second").isGreaterThanOrEqualTo(20_000_000L);
    Thread.sleep(20);
    second.complete(null);
    long span = System.nanoTime() - before;

    long waited = clock.waitedNs();
    assertThat(waited).isGreaterThanOrEqualTo(40_000_000L);
    assertThat(waited).as("the union, not the sum (which would be about 60 ms)").isLessThanOrEqualTo(span + 1_000_000L);
    Thread.sleep(10);
    assertThat(clock.waitedNs()).as("nothing open: the clock stands still").isEqualTo(waited);
  }

  @Test
  void aFailedWaitStopsTheClockToo() {
    WaitClock clock = new WaitClock(false);
    CompletableFuture<Void> reply = new CompletableFuture<>();
    CompletableFuture<Void> tracked = clock.track(reply);
    reply.completeExceptionally(new IllegalStateException("QEMU said no"));
    assertThat(clock.waiting()).isFalse();
    assertThat(tracked).isCompletedExceptionally();
    long waited = clock.waitedNs();
    assertThat(clock.waitedNs()).isEqualTo(waited);
  }

  @Test
  void workChainedOnAWaitRunsAfterTheWaitClosedSoItCountsAsOverhead() {
    WaitClock clock = new WaitClock(false);
    CompletableFuture<String> reply = new CompletableFuture<>();
    AtomicBoolean waitingDuringContinuation = new AtomicBoolean(true);
    CompletableFuture<String> tracked = clock.track(reply);
    tracked.thenRun(() -> waitingDuringContinuation.set(clock.waiting()));
    reply.complete("return");
    assertThat(tracked).isCompletedWithValue("return");
    assertThat(waitingDuringContinuation).as("the wait was still open when ferry's continuation ran").isFalse();
  }

  @Test
  void measuredCpuCountsTheWorkBetweenWaitsAndNotTheWaits() throws Exception {
    WaitClock clock = new WaitClock(true);
    burnCpu(30_000_000L); // ferry's work before the first wait
    CompletableFuture<Void> reply = new CompletableFuture<>();
    clock.track(reply);
    Thread waiter = new Thread(() -> {
      burnCpu(50_000_000L); // QEMU's time, on another thread: not ferry's
      reply.complete(null);
    });
    waiter.start();
    waiter.join();
    long afterFirstWait = clock.ownCpuNs();
    assertThat(afterFirstWait).as("the work before the wait").isBetween(30_000_000L, 45_000_000L);
    assertThat(clock.unmeasuredSpans()).isZero();

    // The wait ended on the waiter thread: the span that began there and goes on here is not counted.
    clock.track(new CompletableFuture<>());
    assertThat(clock.unmeasuredSpans()).isOne();
    assertThat(clock.ownCpuNs()).isEqualTo(afterFirstWait);
    assertThat(new WaitClock(false).ownCpuNs()).as("not asked for").isNull();
  }

  private static void burnCpu(long ns) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long start = threads.getCurrentThreadCpuTime();
    while (threads.getCurrentThreadCpuTime() - start < ns) {
      Thread.onSpinWait();
    }
  }
}
