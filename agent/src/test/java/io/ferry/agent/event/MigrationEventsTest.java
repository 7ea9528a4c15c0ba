package io.ferry.agent.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class MigrationEventsTest {

  private final List<MigrationEvent> seen = new ArrayList<>();
  private final AtomicLong mono = new AtomicLong(1_000);
  private final MigrationEvents events = new MigrationEvents("m1", seen::add,
      Clock.fixed(Instant.parse("2026-11-27T00:00:00.5Z"), ZoneOffset.UTC),
      () -> mono.addAndGet(10));

  @Test
  void eventsAreNumberedFromZeroAndStampedWithBothClocks() {
    events.phaseStarted(Phase.PREFLIGHT);
    events.phaseCompleted(Phase.PREFLIGHT, Map.of("devices", 1));
    events.device(Phase.UNPLUG, "hostnet1", EventKind.STARTED, null);

    assertThat(seen).extracting(MigrationEvent::seq).containsExactly(0L, 1L, 2L);
    assertThat(seen).extracting(MigrationEvent::monoNs).containsExactly(1010L, 1020L, 1030L);
    assertThat(seen).extracting(MigrationEvent::wall)
        .containsOnly(Instant.parse("2026-11-27T00:00:00.5Z"));
    assertThat(seen).extracting(MigrationEvent::migration).containsOnly("m1");
    assertThat(seen.get(2).device()).contains("hostnet1");
    assertThat(seen.get(1).detail()).containsEntry("devices", 1L);
  }

  @Test
  void helpersFillKindDeviceQemuAndDetail() {
    MigrationEvent failed = events.phaseFailed(Phase.UNPLUG, "deadline passed",
        Map.of("pending", List.of("hostnet1")));
    MigrationEvent warning = events.warning(Phase.PREFLIGHT, "hostnet2 does not block migration",
        null);
    MigrationEvent qemu = events.qemu(Phase.MIGRATE, Side.DESTINATION, "RESUME", 42L, Map.of());
    MigrationEvent deleted =
        events.qemu(Phase.UNPLUG, Side.SOURCE, "DEVICE_DELETED", 43L, "hostnet1", null);
    MigrationEvent progress = events.progress(Phase.MIGRATE, Map.of("transferred", 10));
    MigrationEvent device = events.device(Phase.REPLUG, "hostnet1", "completed", null);

    assertThat(failed.kind()).isEqualTo(EventKind.FAILED);
    assertThat(failed.detail()).containsEntry("reason", "deadline passed")
        .containsEntry("pending", List.of("hostnet1"));
    assertThat(warning.kind()).isEqualTo(EventKind.WARNING);
    assertThat(warning.detail()).containsEntry("message", "hostnet2 does not block migration");
    assertThat(qemu.qemu()).contains(new QemuRef(Side.DESTINATION, "RESUME", 42L));
    assertThat(qemu.device()).isEmpty();
    assertThat(deleted.device()).contains("hostnet1");
    assertThat(deleted.kind()).isEqualTo(EventKind.QEMU);
    assertThat(progress.kind()).isEqualTo(EventKind.PROGRESS);
    assertThat(device.kind()).isEqualTo(EventKind.COMPLETED);
    assertThatThrownBy(() -> events.device(Phase.REPLUG, "hostnet1", "plugged", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("allowed: started, progress, completed, failed, warning");
    assertThatThrownBy(() -> events.device(Phase.REPLUG, "hostnet1", EventKind.RESULT, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theResultIsTheLastEvent() {
    events.phaseStarted(Phase.PREFLIGHT);
    MigrationEvent result = events.result(Result.ROLLED_BACK, "guest never completed the unplug",
        MigrationFigures.builder().phaseDurationUs(Phase.UNPLUG, 10_000_000).build());

    assertThat(result.phase()).isEqualTo(Phase.DONE);
    assertThat(result.kind()).isEqualTo(EventKind.RESULT);
    assertThat(result.detail()).containsEntry("result", "ROLLED_BACK")
        .containsEntry("reason", "guest never completed the unplug")
        .containsEntry("figures", Map.of("deviceAbsenceUs", Map.of(),
            "phaseDurationsUs", Map.of("UNPLUG", 10_000_000L)));
    assertThatThrownBy(() -> events.phaseStarted(Phase.CLEANUP))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already has its result");
    assertThat(seen).hasSize(2);
  }

  @Test
  void detailOfAnUnsupportedTypeIsRefusedAndConsumesNoSeq() {
    assertThatThrownBy(() -> events.progress(Phase.MIGRATE, Map.of("when", Instant.EPOCH)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("detail.when is a java.time.Instant");
    events.phaseStarted(Phase.MIGRATE);
    assertThat(seen).singleElement().extracting(MigrationEvent::seq).isEqualTo(0L);
  }

  @Test
  void seqIsGapFreeAndInDeliveryOrderUnderConcurrentEmission() throws Exception {
    List<MigrationEvent> delivered = new ArrayList<>(); // sink runs under the recorder's lock
    MigrationEvents shared = new MigrationEvents("m2", delivered::add);
    int threads = 8;
    int perThread = 2_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String device = "dev" + t;
      Thread w = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < perThread; i++) {
          shared.device(Phase.UNPLUG, device, EventKind.PROGRESS, Map.of("i", i));
        }
      });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }

    assertThat(delivered).extracting(MigrationEvent::seq)
        .containsExactlyElementsOf(LongStream.range(0, (long) threads * perThread).boxed().toList());
    // Each thread's own events keep their order too.
    for (int t = 0; t < threads; t++) {
      String device = "dev" + t;
      assertThat(delivered.stream().filter(e -> e.device().equals(Optional.of(device)))
          .map(e -> (Long) e.detail().get("i")).toList())
          .containsExactlyElementsOf(LongStream.range(0, perThread).boxed().toList());
    }
    // Monotonic clock never goes backwards along seq.
    for (int i = 1; i < delivered.size(); i++) {
      assertThat(delivered.get(i).monoNs()).isGreaterThanOrEqualTo(delivered.get(i - 1).monoNs());
    }
  }
}
