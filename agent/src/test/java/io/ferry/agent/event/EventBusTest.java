package io.ferry.agent.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventBusTest {

  // Only a guard against a hang; no test asserts how long anything takes.
  private static final Duration HANG_GUARD = Duration.ofSeconds(60);

  private EventBus bus = new EventBus();

  @AfterEach
  void closeBus() {
    bus.close();
  }

  /** A sink that records what it got, and whether and when it was told it was dropped. */
  static class Recorder implements EventSink {
    // Appended by one delivery task at a time; read by the test thread.
    final List<MigrationEvent> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    final AtomicReference<SubscriberDroppedException> dropped = new AtomicReference<>();
    final AtomicInteger eventsWhenDropped = new AtomicInteger(-1);

    @Override
    public void accept(MigrationEvent event) {
      events.add(event);
    }

    @Override
    public void dropped(SubscriberDroppedException why) {
      eventsWhenDropped.set(events.size());
      assertThat(dropped.getAndSet(why)).as("dropped() is called once").isNull();
    }

    List<Long> seqs() {
      synchronized (events) {
        return events.stream().map(MigrationEvent::seq).toList();
      }
    }
  }

  private static List<Long> range(long fromInclusive, long toExclusive) {
    return LongStream.range(fromInclusive, toExclusive).boxed().toList();
  }

  private static void await(Subscription s) throws Exception {
    s.done().get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void everySubscriberGetsEveryEventInOrderAndAOneMigrationSubscriptionEndsWithItsResult()
      throws Exception {
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    Recorder other = new Recorder();
    Subscription sa = bus.subscribe("m1", false, a);
    Subscription sb = bus.subscribe("m1", false, b);
    Subscription so = bus.subscribe("m2", false, other);

    MigrationEvents m1 = new MigrationEvents("m1", bus);
    for (int i = 0; i < 500; i++) {
      m1.progress(Phase.MIGRATE, Map.of("i", i));
    }
    m1.result(Result.SUCCEEDED, null, MigrationFigures.none());
    await(sa);
    await(sb);

    assertThat(a.seqs()).isEqualTo(range(0, 501));
    assertThat(b.seqs()).isEqualTo(range(0, 501));
    assertThat(other.events).isEmpty();
    assertThat(so.done()).isNotDone();
  }

  @Test
  void aSlowSubscriberIsDroppedWithNoticeWithoutDelayingThePublisherOrOthers() throws Exception {
    bus.close();
    bus = new EventBus(16, 4, null);
    CountDownLatch release = new CountDownLatch(1);
    Recorder slow = new Recorder() {
      @Override
      public void accept(MigrationEvent event) {
        super.accept(event);
        try {
          release.await(); // stuck, like a client that stopped reading
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    Recorder fast = new Recorder();
    Subscription slowSub = bus.subscribe(null, false, slow);
    // Room for the whole burst, so only the slow subscriber can overflow, whatever the scheduling.
    Subscription fastSub = bus.subscribe("m1", false, 2_000, fast);

    MigrationEvents m1 = new MigrationEvents("m1", bus);
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      for (int i = 0; i < 1_000; i++) {
        m1.progress(Phase.MIGRATE, Map.of("i", i));
      }
      m1.result(Result.SUCCEEDED, null, MigrationFigures.none());
      // The fast subscriber got everything while the slow one is still stuck on its first event.
      await(fastSub);
    });
    assertThat(release.getCount()).isEqualTo(1);
    assertThat(fast.seqs()).isEqualTo(range(0, 1_001));

    release.countDown();
    assertThatThrownBy(() -> await(slowSub))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(SubscriberDroppedException.class)
        .hasMessageContaining("fell 16 events behind");
    SubscriberDroppedException why = slow.dropped.get();
    assertThat(why).isNotNull();
    // It got a gap-free prefix (a full queue, plus the event it was stuck on if its delivery had
    // already started when the queue filled), then the notice.
    assertThat(slow.seqs()).isEqualTo(range(0, why.firstMissedSeq()));
    assertThat(why.firstMissedSeq()).isBetween(16L, 17L);
    assertThat(why.migration()).isEqualTo("m1");
    assertThat(slow.eventsWhenDropped.get()).isEqualTo(slow.events.size());
    // Dropped means gone: later events do not reach it.
    int got = slow.events.size();
    new MigrationEvents("m9", bus).phaseStarted(Phase.PREFLIGHT);
    assertThat(slow.events).hasSize(got);
  }

  @Test
  void aSinkThatThrowsIsDroppedWithTheCauseAndOthersGoOn() throws Exception {
    Recorder broken = new Recorder() {
      @Override
      public void accept(MigrationEvent event) {
        if (event.seq() == 3) {
          throw new IllegalStateException("client went away");
        }
        super.accept(event);
      }
    };
    Recorder fine = new Recorder();
    Subscription brokenSub = bus.subscribe("m1", false, broken);
    Subscription fineSub = bus.subscribe("m1", false, fine);
    MigrationEvents m1 = new MigrationEvents("m1", bus);
    for (int i = 0; i < 10; i++) {
      m1.phaseStarted(Phase.PREFLIGHT);
    }
    m1.result(Result.FAILED, "test", MigrationFigures.none());

    await(fineSub);
    assertThat(fine.seqs()).isEqualTo(range(0, 11));
    assertThatThrownBy(() -> await(brokenSub)).cause()
        .isInstanceOf(SubscriberDroppedException.class)
        .hasMessageContaining("failed on seq 3")
        .hasRootCauseMessage("client went away");
    assertThat(broken.seqs()).isEqualTo(range(0, 3));
    assertThat(broken.dropped.get().firstMissedSeq()).isEqualTo(3);
  }

  @Test
  void aLateSubscriberGetsTheHistoryFromSeqZeroThenLiveEvents() throws Exception {
    MigrationEvents m1 = new MigrationEvents("m1", bus);
    MigrationEvents m2 = new MigrationEvents("m2", bus);
    for (int i = 0; i < 100; i++) {
      m1.progress(Phase.MIGRATE, Map.of("i", i));
      if (i < 50) {
        m2.progress(Phase.MIGRATE, Map.of("i", i));
      }
    }
    Recorder late = new Recorder();
    Recorder lateNoHistory = new Recorder();
    Recorder all = new Recorder();
    Subscription lateSub = bus.subscribe("m1", true, late);
    Subscription noHistorySub = bus.subscribe("m1", false, lateNoHistory);
    Subscription allSub = bus.subscribe(null, true, all);
    m1.result(Result.SUCCEEDED, null, MigrationFigures.none());
    await(lateSub);
    await(noHistorySub);

    assertThat(late.seqs()).isEqualTo(range(0, 101));
    assertThat(lateNoHistory.seqs()).containsExactly(100L);
    assertThat(bus.history("m1")).hasSize(101);
    // Delivery is asynchronous: let the catch-all subscriber drain its history first.
    org.awaitility.Awaitility.await()
        .atMost(HANG_GUARD)
        .until(() -> {
          synchronized (all.events) {
            return all.events.size() >= 150;
          }
        });
    allSub.close();
    List<MigrationEvent> got;
    synchronized (all.events) {
      got = List.copyOf(all.events);
    }
    assertThat(got.stream().filter(e -> e.migration().equals("m2")).map(MigrationEvent::seq)
        .toList()).isEqualTo(range(0, 50));
    assertThat(got.stream().filter(e -> e.migration().equals("m1")).count())
        .isBetween(100L, 101L);
  }

  @Test
  void historyThenLiveHasNoGapAndNoDuplicateWhileThePublisherRuns() throws Exception {
    MigrationEvents m1 = new MigrationEvents("m1", bus);
    CountDownLatch someHistory = new CountDownLatch(1000);
    java.util.concurrent.atomic.AtomicBoolean subscribed =
        new java.util.concurrent.atomic.AtomicBoolean();
    AtomicInteger publishedAfterSubscribe = new AtomicInteger();
    Thread publisher = new Thread(() -> {
      // Keeps publishing across the moment of subscription, then 1000 more.
      while (publishedAfterSubscribe.get() < 1000) {
        m1.progress(Phase.MIGRATE, Map.of());
        someHistory.countDown();
        if (subscribed.get()) {
          publishedAfterSubscribe.incrementAndGet();
        }
      }
      m1.result(Result.SUCCEEDED, null, MigrationFigures.none());
    });
    publisher.start();
    assertThat(someHistory.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isTrue();
    Recorder late = new Recorder();
    // Room for every event, so a scheduling hiccup cannot turn this into an overflow test.
    Subscription s = bus.subscribe("m1", true, 1_000_000, late);
    subscribed.set(true);
    await(s);
    publisher.join();

    long total = bus.history("m1").size();
    // >= 1000 published before the subscription (the 1000th may already count as "after"),
    // 1000 after it, and the result.
    assertThat(total).isGreaterThanOrEqualTo(2000);
    assertThat(late.seqs()).isEqualTo(range(0, total));
  }

  @Test
  void historiesBeyondTheRetainedNumberOfMigrationsAreForgottenOldestFirst() {
    bus.close();
    bus = new EventBus(16, 2, null);
    new MigrationEvents("m1", bus).phaseStarted(Phase.PREFLIGHT);
    new MigrationEvents("m2", bus).phaseStarted(Phase.PREFLIGHT);
    new MigrationEvents("m3", bus).phaseStarted(Phase.PREFLIGHT);
    assertThat(bus.history("m1")).isEmpty();
    assertThat(bus.history("m2")).hasSize(1);
    assertThat(bus.history("m3")).hasSize(1);
    bus.forget("m3");
    assertThat(bus.history("m3")).isEmpty();
  }

  @Test
  void closingEndsSubscriptionsNormallyAndRefusesFurtherUse() throws Exception {
    Recorder r = new Recorder();
    Subscription s = bus.subscribe(null, false, r);
    Subscription closedEarly = bus.subscribe(null, false, new Recorder());
    closedEarly.close();
    await(closedEarly);
    bus.close();
    await(s);
    assertThat(s.done()).isCompletedWithValue(null);
    assertThatThrownBy(() -> new MigrationEvents("m1", bus).phaseStarted(Phase.PREFLIGHT))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> bus.subscribe(null, false, r))
        .isInstanceOf(IllegalStateException.class);
    assertThat(r.dropped.get()).isNull();
  }
}
