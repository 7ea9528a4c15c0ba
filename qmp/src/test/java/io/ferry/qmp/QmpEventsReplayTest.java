package io.ferry.qmp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ferry.qmp.transcripts.Transcript;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The client's events, waiters and subscribers against QEMU 7.2's own recorded sessions (see
 * TranscriptRecorder): QEMU's order, disconnects, deadlines, slow and broken listeners.
 */
class QmpEventsReplayTest extends ReplayClientTest {
  @Test
  void resumeArrivesBeforeContsReplyAndIsSeenByAWaiterRegisteredFirst() throws Exception {
    connect("cont-resume");
    CompletableFuture<QmpEvent> resume = client.awaitEvent(e -> e instanceof ResumeEvent, Duration.ofSeconds(5));
    boolean resumeSeenFirst = client.cont().thenApply(v -> resume.isDone()).get(5, SECONDS);
    assertThat(resumeSeenFirst).isTrue();
    assertThat(resume.get().timestamp().epochMicros()).isPositive();
    assertThat(client.queryStatus().get(5, SECONDS).running()).isTrue();

    CompletableFuture<QmpEvent> stop = client.awaitEvent(e -> e instanceof StopEvent, Duration.ofSeconds(5));
    client.stop().get(5, SECONDS);
    assertThat(stop.get(5, SECONDS).name()).isEqualTo("STOP");
    assertThat(client.queryStatus().get(5, SECONDS)).isEqualTo(new VmStatus("paused", false));
  }

  @Test
  void migrationSetupArrivesBeforeMigratesReplyAndEventsKeepQemuOrder() throws Exception {
    String uri = Transcript.load("migrate-setup").exchanges().get(3).arguments().path("uri").asText();
    connect("migrate-setup");
    List<QmpEvent> seen = new CopyOnWriteArrayList<>();
    client.subscribe(seen::add, 64);
    CompletableFuture<QmpEvent> setup =
        client.awaitEvent(
            e -> e instanceof MigrationEvent m && m.status().equals("setup"), Duration.ofSeconds(5));
    CompletableFuture<QmpEvent> completed =
        client.awaitEvent(
            e -> e instanceof MigrationEvent m && m.status().equals("completed"), Duration.ofSeconds(5));
    client.migrateSetCapabilities(Map.of("events", true)).get(5, SECONDS);
    client.migrateSetParameters(Map.of("max-bandwidth", 1_000_000_000L)).get(5, SECONDS);
    assertThat(client.migrate(uri).thenApply(v -> setup.isDone()).get(5, SECONDS)).isTrue();
    completed.get(5, SECONDS);

    await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 6);
    assertThat(seen)
        .extracting(e -> e instanceof MigrationEvent m ? m.status() : "pass " + ((MigrationPass) e).pass())
        .containsExactly("setup", "pass 1", "active", "pass 2", "pass 3", "completed");
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).timestamp().epochMicros())
          .isGreaterThanOrEqualTo(seen.get(i - 1).timestamp().epochMicros());
    }

    MigrationInfo info = client.queryMigrate().get(5, SECONDS);
    assertThat(info.status()).isEqualTo("completed");
    assertThat(info.totalTimeMs()).isPositive();
    assertThat(info.downtimeMs()).isNotNull();
    assertThat(info.ram().total()).isEqualTo(64L * 1024 * 1024 + info.ram().total() % (1024 * 1024));
    assertThat(info.ram().pageSize()).isEqualTo(4096);
    assertThat(info.raw().path("status").asText()).isEqualTo("completed");
    assertThat(client.queryStatus().get(5, SECONDS).status()).isEqualTo("postmigrate");
    assertThat(server.mismatches()).isEmpty();
  }

  @Test
  void shutdownArrivesBeforeQuitsReplyThenTheDisconnectIsReportedEverywhere() throws Exception {
    connect("quit-shutdown");
    List<QmpEvent> events = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> listenerClosed = new CompletableFuture<>();
    client.subscribe(
        new QmpEventListener() {
          @Override
          public void onEvent(QmpEvent event) {
            events.add(event);
          }

          @Override
          public void onClosed(Throwable reason) {
            listenerClosed.complete(reason);
          }
        },
        16);
    CompletableFuture<QmpEvent> shutdown =
        client.awaitEvent(e -> e instanceof ShutdownEvent, Duration.ofSeconds(5));
    CompletableFuture<QmpEvent> neverComes =
        client.awaitEvent(e -> e instanceof DeviceDeleted, Duration.ofSeconds(30));

    assertThat(client.quit().thenApply(v -> shutdown.isDone()).get(5, SECONDS)).isTrue();
    ShutdownEvent s = (ShutdownEvent) shutdown.get();
    assertThat(s.guest()).isFalse();
    assertThat(s.reason()).isEqualTo("host-qmp-quit");

    assertThat(client.disconnected().get(5, SECONDS)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(client.isOpen()).isFalse();
    assertThat(failureOf(neverComes)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(listenerClosed.get(5, SECONDS)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(events).hasSize(1).first().isInstanceOf(ShutdownEvent.class);
    assertThat(failureOf(client.queryStatus())).isInstanceOf(QmpDisconnectedException.class);
  }

  @Test
  void awaitEventDeadlineFiresCleanlyWhenThePausedGuestNeverReleasesTheDevice() throws Exception {
    connect("basic");
    client
        .deviceAdd(Map.of("driver", "e1000e", "id", "nic1", "bus", "rp1", "mac", "52:54:00:12:34:56"))
        .get(5, SECONDS);
    CompletableFuture<QmpEvent> deleted =
        client.awaitEvent(
            e -> e instanceof DeviceDeleted d && "nic1".equals(d.device()), Duration.ofMillis(300));
    client.deviceDel("nic1").get(5, SECONDS);
    assertThat(failureOf(deleted)).isInstanceOf(QmpTimeoutException.class);
    assertThat(client.queryStatus().get(5, SECONDS).status()).isEqualTo("prelaunch");
  }

  @Test
  void aSlowSubscriberNeitherDelaysRepliesNorOthersAndIsDroppedLoudlyOnOverflow() throws Exception {
    connect("cont-resume");
    CountDownLatch unblock = new CountDownLatch(1);
    List<QmpEvent> slowSeen = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> slowClosed = new CompletableFuture<>();
    EventSubscription slow =
        client.subscribe(
            new QmpEventListener() {
              @Override
              public void onEvent(QmpEvent event) {
                slowSeen.add(event);
                try {
                  unblock.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }

              @Override
              public void onClosed(Throwable reason) {
                slowClosed.complete(reason);
              }
            },
            1);
    List<QmpEvent> fastSeen = new CopyOnWriteArrayList<>();
    client.subscribe(fastSeen::add, 16);

    // Four events while the slow listener is stuck in its first callback: replies still flow.
    client.cont().get(5, SECONDS);
    // The slow listener is now stuck inside RESUME, so its queue (capacity 1) is empty again.
    await().atMost(Duration.ofSeconds(5)).until(() -> slowSeen.size() == 1);
    client.stop().get(5, SECONDS); // queued for the slow listener
    client.cont().get(5, SECONDS); // overflows it
    client.stop().get(5, SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> fastSeen.size() == 4);
    assertThat(fastSeen).extracting(QmpEvent::name).containsExactly("RESUME", "STOP", "RESUME", "STOP");
    assertThat(slow.isActive()).isFalse();
    assertThat(slowClosed).isNotDone();

    unblock.countDown();
    Throwable reason = slowClosed.get(5, SECONDS);
    assertThat(reason).isInstanceOf(QmpEventOverflowException.class).hasMessageContaining("queue of 1");
    // What was queued before the overflow is delivered; nothing after it.
    assertThat(slowSeen).extracting(QmpEvent::name).containsExactly("RESUME", "STOP");
  }

  @Test
  void aThrowingListenerIsClosedWithItsOwnErrorAndOthersCarryOn() throws Exception {
    connect("cont-resume");
    CompletableFuture<Throwable> closed = new CompletableFuture<>();
    EventSubscription broken =
        client.subscribe(
            new QmpEventListener() {
              @Override
              public void onEvent(QmpEvent event) {
                throw new IllegalStateException("listener bug");
              }

              @Override
              public void onClosed(Throwable reason) {
                closed.complete(reason);
              }
            },
            8);
    List<QmpEvent> healthy = new CopyOnWriteArrayList<>();
    client.subscribe(healthy::add, 8);
    client.cont().get(5, SECONDS);
    client.stop().get(5, SECONDS);
    assertThat(closed.get(5, SECONDS)).hasRootCauseMessage("listener bug");
    assertThat(broken.isActive()).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> healthy.size() == 2);
  }

  @Test
  void aPredicateThatThrowsFailsOnlyItsOwnWaiter() throws Exception {
    connect("cont-resume");
    CompletableFuture<QmpEvent> bad =
        client.awaitEvent(
            e -> {
              throw new IllegalStateException("predicate bug");
            },
            Duration.ofSeconds(5));
    CompletableFuture<QmpEvent> good = client.awaitEvent(e -> e instanceof ResumeEvent, Duration.ofSeconds(5));
    client.cont().get(5, SECONDS);
    assertThat(failureOf(bad)).hasMessage("predicate bug");
    assertThat(good.get(5, SECONDS)).isInstanceOf(ResumeEvent.class);
  }

  @Test
  void subscribingOrWaitingAfterTheDisconnectIsToldAtOnce() throws Exception {
    connect("quit-shutdown");
    client.quit().get(5, SECONDS);
    client.disconnected().get(5, SECONDS);
    CompletableFuture<Throwable> closed = new CompletableFuture<>();
    EventSubscription late = client.subscribe(closedInto(closed), 4);
    assertThat(closed.get(5, SECONDS)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(late.isActive()).isFalse();
    assertThat(failureOf(client.awaitEvent(e -> true, Duration.ofSeconds(5))))
        .isInstanceOf(QmpDisconnectedException.class);
  }
}
