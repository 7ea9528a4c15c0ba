package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.plan.MigrationPlan;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/migrations/{id}} never says "running" to someone who has already seen that
 * migration's result event.
 */
class StatusAtResultTest {
  @TempDir Path dir;

  @Test
  @SuppressWarnings("unchecked")
  void aMigrationReadsAsFinishedTheMomentASubscriberSeesItsResult() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    // Delivery on the publishing thread: the subscriber reads the status at the very moment the
    // result is published, before the migration's code runs another line (the worst case of the
    // race a delivery thread only makes likely).
    try (FakeHost host = new FakeHost(dir.resolve("host"));
        // QEMUs that answer, but not as a migration's source: the preflight refuses, over the
        // wire, so the result comes from a QMP thread once the migration is registered.
        FakeDestinationQemu source = new FakeDestinationQemu(dir.resolve("src.qmp"));
        FakeDestinationQemu destination = new FakeDestinationQemu(dir.resolve("dst.qmp"));
        EventBus bus = new EventBus(EventBus.DEFAULT_QUEUE_CAPACITY, EventBus.DEFAULT_RETAINED_MIGRATIONS, Runnable::run)) {
      DaemonCore core = new DaemonCore(bus, host.devices, blocking);
      CompletableFuture<Map<String, Object>> seenAtResult = new CompletableFuture<>();
      bus.subscribe("m-gone", false, e -> {
        if (e.kind() == EventKind.RESULT) {
          core.handle(new ApiAction.GetMigration("m-gone")).whenComplete((r, error) -> {
            if (error != null) {
              seenAtResult.completeExceptionally(error);
            } else {
              seenAtResult.complete((Map<String, Object>) r.json());
            }
          });
        }
      });
      MigrationPlan plan = MigrationPlan.builder().id("m-gone")
          .source(source.socket()).destination(destination.socket())
          .uri("unix:" + dir.resolve("mig.sock")).device("hostnet1").build();
      assertThat(core.handle(new ApiAction.StartMigration(plan)).get(10, TimeUnit.SECONDS).status()).isEqualTo(202);

      Map<String, Object> status = seenAtResult.get(60, TimeUnit.SECONDS);
      assertThat(status).containsEntry("role", "outgoing").containsEntry("state", "finished")
          .containsEntry("phase", "DONE").containsEntry("result", "ROLLED_BACK");
    } finally {
      blocking.shutdownNow();
    }
  }
}
