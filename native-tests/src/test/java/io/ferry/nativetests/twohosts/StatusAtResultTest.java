package io.ferry.nativetests.twohosts;

import static io.ferry.nativetests.twohosts.IncomingLab.machine;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.daemon.ApiAction;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/migrations/{id}} never says "running" to someone who has already seen that
 * migration's result event (real QEMUs; the vfio fake kernel as the host's devices).
 */
@ExtendWith(NoLeftoverQemu.class)
class StatusAtResultTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aMigrationReadsAsFinishedTheMomentASubscriberSeesItsResult() throws Exception {
    ExecutorService blocking = Executors.newCachedThreadPool();
    // Delivery on the publishing thread: the subscriber reads the status at the very moment the
    // result is published, before the migration's code runs another line (the worst case of the
    // race a delivery thread only makes likely).
    try (FakeKernelHost host = new FakeKernelHost(dir.resolve("host"));
        // Real QEMUs that answer, but the source is not running (paused at -S): the preflight
        // refuses, over the wire, so the result comes from a QMP thread once the migration is
        // registered.
        LabVm source = machine("sar", dir).name("sar-src").paused(true).start();
        LabVm destination = machine("sar", dir).name("sar-dst").incoming(true).start();
        EventBus bus = new EventBus(EventBus.DEFAULT_QUEUE_CAPACITY, EventBus.DEFAULT_RETAINED_MIGRATIONS, Runnable::run)) {
      DaemonCore core = new DaemonCore(bus, host.devices, blocking);
      CompletableFuture<JsonNode> seenAtResult = new CompletableFuture<>();
      bus.subscribe("m-gone", false, e -> {
        if (e.kind() == EventKind.RESULT) {
          core.handle(new ApiAction.GetMigration("m-gone")).whenComplete((r, error) -> {
            try {
              if (error != null) {
                seenAtResult.completeExceptionally(error);
              } else {
                // As the HTTP edge writes it (a finished view is already-encoded JSON).
                seenAtResult.complete(JSON.readTree(JSON.writeValueAsString(r.json())));
              }
            } catch (Exception | AssertionError unexpected) {
              seenAtResult.completeExceptionally(unexpected);
            }
          });
        }
      });
      MigrationPlan plan = MigrationPlan.builder().id("m-gone")
          .source(source.agentQmpSocket()).destination(destination.agentQmpSocket())
          .uri("unix:" + dir.resolve("mig.sock")).device("hostnet1").build();
      assertThat(core.handle(new ApiAction.StartMigration(plan)).get(10, TimeUnit.SECONDS).status()).isEqualTo(202);

      JsonNode status = seenAtResult.get(60, TimeUnit.SECONDS);
      assertThat(status.path("role").asText()).isEqualTo("outgoing");
      assertThat(status.path("state").asText()).isEqualTo("finished");
      assertThat(status.path("phase").asText()).isEqualTo("DONE");
      assertThat(status.path("result").asText()).isEqualTo("ROLLED_BACK");
      assertThat(source.isAlive()).as("a refused migration leaves the source QEMU alone").isTrue();
    } finally {
      blocking.shutdownNow();
    }
  }
}
