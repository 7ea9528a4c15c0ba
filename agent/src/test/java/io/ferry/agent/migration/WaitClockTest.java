package io.ferry.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The waiting clock counts the union of overlapping waits, so overhead is never negative. */
class WaitClockTest {
  @Test
  void overlappingWaitsCountOnceAndAnOpenWaitCountsSoFar() throws Exception {
    WaitClock clock = new WaitClock();
    assertThat(clock.waitedNs()).isZero();

    CompletableFuture<Void> first = clock.track(new CompletableFuture<>());
    CompletableFuture<Void> second = clock.track(new CompletableFuture<>());
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
    WaitClock clock = new WaitClock();
    CompletableFuture<Void> wait = clock.track(new CompletableFuture<>());
    wait.completeExceptionally(new IllegalStateException("QEMU said no"));
    long waited = clock.waitedNs();
    assertThat(clock.waitedNs()).isEqualTo(waited);
  }
}
