package io.ferry.agent.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the {@link EventBus} delivers to a {@link PacedSink}: on its executor, flushed per run, paced. */
class PacedSinkDeliveryTest {

  // Only a guard against a hang; no test asserts how long anything takes.
  private static final Duration HANG_GUARD = Duration.ofSeconds(60);

  private final EventBus bus = new EventBus();
  private final PacedRecorder paced = new PacedRecorder();

  @AfterEach
  void close() {
    bus.close();
    paced.loop.shutdownNow();
  }

  /**
   * A paced sink on its own single thread: records which thread delivered, counts flushes, and is
   * ready or not as the test says.
   */
  static final class PacedRecorder extends EventBusTest.Recorder implements PacedSink {
    final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "paced-loop"));
    final List<String> threads = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger eventsAtFlush = new AtomicInteger();
    volatile CompletableFuture<Void> ready = CompletableFuture.completedFuture(null);

    @Override
    public Executor executor() {
      return loop;
    }

    @Override
    public void accept(MigrationEvent event) {
      threads.add(Thread.currentThread().getName());
      super.accept(event);
    }

    @Override
    public CompletableFuture<Void> ready() {
      return ready;
    }

    @Override
    public void flush() {
      flushes.incrementAndGet();
      eventsAtFlush.set(events.size());
    }

    /** Waits until every task already handed to the sink's thread has run. */
    void settle() throws Exception {
      loop.submit(() -> { }).get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
    }
  }

  private static List<Long> range(long fromInclusive, long toExclusive) {
    return LongStream.range(fromInclusive, toExclusive).boxed().toList();
  }

  private static void waitFor(BooleanSupplier condition) {
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      while (!condition.getAsBoolean()) {
        Thread.sleep(1);
      }
    });
  }

  private static void await(Subscription s) throws Exception {
    s.done().get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aPacedSinkGetsItsEventsOnItsOwnExecutorAndOneFlushPerRun() throws Exception {
    // Hold the sink's thread so that ten events queue up, then let it go: one run, one flush.
    CountDownLatch hold = new CountDownLatch(1);
    paced.loop.execute(() -> {
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Subscription sub = bus.subscribe("m1", false, paced);
    MigrationEvents m1 = new MigrationEvents("m1", bus);
    for (int i = 0; i < 9; i++) {
      m1.phaseStarted(Phase.PREFLIGHT);
    }
    m1.result(Result.SUCCEEDED, null, MigrationFigures.none());
    hold.countDown();

    await(sub);
    // The subscription ends within the run; its flush closes the run, on the sink's thread.
    paced.settle();
    assertThat(paced.seqs()).isEqualTo(range(0, 10));
    assertThat(paced.threads).containsOnly("paced-loop");
    assertThat(paced.flushes.get()).as("one flush for the run of ten").isEqualTo(1);
    assertThat(paced.eventsAtFlush.get()).as("flushed after the run").isEqualTo(10);
  }

  @Test
  void aPacedSinkThatIsNotReadyGetsNothingMoreUntilItIsThenEverythingInOrder() throws Exception {
    Subscription sub = bus.subscribe("m1", false, paced);
    MigrationEvents m1 = new MigrationEvents("m1", bus);
    m1.phaseStarted(Phase.PREFLIGHT);
    waitFor(() -> paced.flushes.get() >= 1);
    CompletableFuture<Void> notYet = new CompletableFuture<>();
    paced.ready = notYet;
    for (int i = 0; i < 4; i++) {
      m1.phaseStarted(Phase.UNPLUG);
    }
    m1.result(Result.SUCCEEDED, null, MigrationFigures.none());
    // Publishing did not wait, and the sink got nothing while not ready.
    paced.settle();
    assertThat(paced.seqs()).isEqualTo(range(0, 1));
    assertThat(sub.done()).isNotDone();

    paced.ready = CompletableFuture.completedFuture(null);
    notYet.complete(null);
    await(sub);
    assertThat(paced.seqs()).isEqualTo(range(0, 6));
    assertThat(paced.threads).containsOnly("paced-loop");
  }

  @Test
  void aPacedSinkThatGivesUpOnItsReaderIsDroppedAtTheFirstEventItDidNotTake() throws Exception {
    Subscription sub = bus.subscribe("m1", false, paced);
    MigrationEvents m1 = new MigrationEvents("m1", bus);
    m1.phaseStarted(Phase.PREFLIGHT);
    m1.phaseStarted(Phase.UNPLUG);
    waitFor(() -> paced.events.size() >= 2);
    CompletableFuture<Void> stalled = new CompletableFuture<>();
    paced.ready = stalled;
    m1.phaseStarted(Phase.MIGRATE);
    m1.phaseStarted(Phase.REPLUG);
    stalled.completeExceptionally(new IllegalStateException("client reads too slowly"));

    assertThatThrownBy(() -> await(sub)).cause()
        .isInstanceOf(SubscriberDroppedException.class)
        .hasMessageContaining("failed on seq 2")
        .hasRootCauseMessage("client reads too slowly");
    assertThat(paced.seqs()).isEqualTo(range(0, 2));
    assertThat(paced.dropped.get().firstMissedSeq()).isEqualTo(2);
  }
}
