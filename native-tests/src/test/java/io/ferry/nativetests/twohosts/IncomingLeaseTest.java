package io.ferry.nativetests.twohosts;

import static io.ferry.nativetests.twohosts.IncomingLab.freePort;
import static io.ferry.nativetests.twohosts.IncomingLab.machine;
import static io.ferry.nativetests.twohosts.IncomingLab.plan;
import static io.ferry.nativetests.twohosts.IncomingLab.quits;
import static io.ferry.nativetests.twohosts.IncomingLab.status;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.daemon.ApiAction;
import io.ferry.agent.daemon.ApiException;
import io.ferry.agent.daemon.ApiResponse;
import io.ferry.agent.daemon.DaemonCore;
import io.ferry.agent.daemon.VfioHostDevices;
import io.ferry.agent.event.EventBus;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.journal.MigrationJournal;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.PlanParser;
import io.ferry.nativetests.lab.NoLeftoverQemu;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The destination side of the peer protocol in the daemon's core, against a real destination
 * QEMU ({@code -S -incoming defer}) and the vfio fake kernel: an incoming migration is listed,
 * holds a lease that the source's calls renew, and gives everything back (device released, QEMU
 * quit) when its source falls silent; once committed (after a real migration into it) the lease
 * no longer applies.
 */
@ExtendWith(NoLeftoverQemu.class)
class IncomingLeaseTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  private FakeKernelHost host;
  private LabVm destination;
  private int port;
  private EventBus bus;
  private ExecutorService blocking;

  @BeforeEach
  void setUp() throws Exception {
    host = new FakeKernelHost(dir.resolve("host"));
    destination = machine("lease", dir).name("lease-dst").incoming(true).start();
    port = freePort();
    bus = new EventBus();
    blocking = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() throws Exception {
    destination.close();
    bus.close();
    blocking.shutdownNow();
    host.close();
  }

  private DaemonCore core(Duration lease) {
    return new DaemonCore(bus, host.devices, blocking, MigrationJournal.NONE,
        new VfioHostDevices(host.devices, blocking), null, lease);
  }

  private Path qmp() {
    return destination.agentQmpSocket();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(ApiResponse r) {
    return (Map<String, Object>) r.json();
  }

  private static Map<String, Object> get(DaemonCore core, String id) throws Exception {
    return json(core.handle(new ApiAction.GetMigration(id)).get(10, TimeUnit.SECONDS));
  }

  private CompletableFuture<MigrationEvent> resultOf(String id) {
    CompletableFuture<MigrationEvent> result = new CompletableFuture<>();
    bus.subscribe(id, true, e -> {
      if (e.kind() == EventKind.RESULT) {
        result.complete(e);
      }
    });
    return result;
  }

  @Test
  void anIncomingIsListedWithItsRoleStateAndLeaseAndAnAbortShowsThere() throws Exception {
    DaemonCore core = core(Duration.ofSeconds(30));
    ApiResponse created = core.handle(new ApiAction.CreateIncoming(plan("in-1", qmp(), port))).get(30, TimeUnit.SECONDS);
    assertThat(created.status()).isEqualTo(201);
    assertThat(json(created)).containsEntry("leaseMs", 30_000L);
    assertThat(host.driver()).isEqualTo("vfio-pci");

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> listed =
        (List<Map<String, Object>>) core.handle(new ApiAction.ListMigrations()).get(10, TimeUnit.SECONDS).json();
    assertThat(listed).hasSize(1);
    Map<String, Object> entry = listed.get(0);
    assertThat(entry).containsEntry("id", "in-1").containsEntry("role", "incoming")
        .containsEntry("state", "listening").containsEntry("phase", "MIGRATE")
        .containsEntry("destination", qmp().toString())
        .containsEntry("prepared", List.of(FakeKernelHost.NIC))
        .doesNotContainKey("result");
    @SuppressWarnings("unchecked")
    Map<String, Object> lease = (Map<String, Object>) entry.get("lease");
    assertThat(lease).containsEntry("durationMs", 30_000L);
    assertThat((Long) lease.get("remainingMs")).isBetween(1L, 30_000L);
    assertThat(get(core, "in-1")).usingRecursiveComparison().ignoringFields("lease.remainingMs").isEqualTo(entry);

    CompletableFuture<MigrationEvent> result = resultOf("in-1");
    assertThat(core.handle(new ApiAction.AbortIncoming("in-1")).get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
    result.get(10, TimeUnit.SECONDS);
    assertThat(get(core, "in-1")).containsEntry("role", "incoming").containsEntry("state", "aborted")
        .containsEntry("phase", "DONE").containsEntry("result", "ROLLED_BACK")
        .containsEntry("reason", "aborted by the source").doesNotContainKey("lease");
    assertThat(host.driver()).isEqualTo("igb");
    assertThat(quits(destination)).as("the destination QEMU is quit").isTrue();
  }

  @Test
  void anIncomingWhoseSourceFallsSilentExpiresAndGivesEverythingBack() throws Exception {
    DaemonCore core = core(Duration.ofMillis(300));
    CompletableFuture<MigrationEvent> result = resultOf("in-silent");
    core.handle(new ApiAction.CreateIncoming(plan("in-silent", qmp(), port))).get(30, TimeUnit.SECONDS);
    assertThat(host.driver()).isEqualTo("vfio-pci");

    MigrationEvent end = result.get(10, TimeUnit.SECONDS);
    assertThat(end.detail()).containsEntry("result", "ROLLED_BACK");
    assertThat(get(core, "in-silent")).containsEntry("state", "expired").containsEntry("result", "ROLLED_BACK");
    assertThat((String) get(core, "in-silent").get("reason")).startsWith("lease expired: no call from the source for 300ms");
    assertThat(bus.history("in-silent")).anySatisfy(e -> {
      assertThat(e.kind()).isEqualTo(EventKind.WARNING);
      assertThat(String.valueOf(e.detail().get("message"))).contains("lease expired");
    });
    assertThat(host.driver()).as("released").isEqualTo("igb");
    assertThat(quits(destination)).as("the destination QEMU is quit, as an abort does").isTrue();

    // A source that comes back late learns what happened, and its abort changes nothing more.
    Throwable renew = core.handle(new ApiAction.RenewIncoming("in-silent"))
        .handle((r, e) -> e instanceof java.util.concurrent.CompletionException ? e.getCause() : e).get(10, TimeUnit.SECONDS);
    assertThat(renew).isInstanceOf(ApiException.class);
    assertThat(((ApiException) renew).status()).isEqualTo(409);
    assertThat(((ApiException) renew).code()).isEqualTo("incoming_ended");
    ApiResponse abort = core.handle(new ApiAction.AbortIncoming("in-silent")).get(10, TimeUnit.SECONDS);
    assertThat(json(abort)).containsEntry("state", "expired");
  }

  @Test
  void aPlanThatAsksForItsOwnLeaseIsHeldByItNotByTheDaemonsDefault() throws Exception {
    DaemonCore core = core(Duration.ofHours(1));
    CompletableFuture<MigrationEvent> result = resultOf("in-own-lease");
    // As the source sends it: the destination names its agent, and timeouts.lease is the plan's.
    MigrationPlan plan = PlanParser.parse("""
        {"id": "in-own-lease", "source": {"qmp": "/run/vm1/src.qmp"},
         "destination": {"agent": "https://127.0.0.1:7443", "qmp": "%s"},
         "uri": "tcp:127.0.0.1:%d", "timeouts": {"lease": "3s"},
         "devices": [{"id": "hostnet1", "destination": {"driver": "vfio-pci", "host": "%s"}}]}
        """.formatted(qmp(), port, FakeKernelHost.NIC));
    assertThat(plan.timeouts().lease()).contains(Duration.ofSeconds(3));
    ApiResponse created = core.handle(new ApiAction.CreateIncoming(plan)).get(30, TimeUnit.SECONDS);
    assertThat(json(created)).containsEntry("leaseMs", 3_000L);

    MigrationEvent end = result.get(30, TimeUnit.SECONDS);
    assertThat(end.detail()).containsEntry("result", "ROLLED_BACK");
    assertThat((String) get(core, "in-own-lease").get("reason")).startsWith("lease expired: no call from the source for 3s");
    assertThat(host.driver()).as("released").isEqualTo("igb");
    assertThat(quits(destination)).isTrue();
  }

  @Test
  void renewalsKeepAnIncomingAliveAndItExpiresOnceTheyStop() throws Exception {
    DaemonCore core = core(Duration.ofMillis(400));
    CompletableFuture<MigrationEvent> result = resultOf("in-renewed");
    core.handle(new ApiAction.CreateIncoming(plan("in-renewed", qmp(), port))).get(30, TimeUnit.SECONDS);
    ScheduledExecutorService source = Executors.newSingleThreadScheduledExecutor();
    try {
      source.scheduleAtFixedRate(() -> core.handle(new ApiAction.RenewIncoming("in-renewed")).join(),
          100, 100, TimeUnit.MILLISECONDS);
      // Four leases long: without the renewals it would have expired three times over.
      CompletableFuture<Void> later = new CompletableFuture<>();
      CompletableFuture.delayedExecutor(1600, TimeUnit.MILLISECONDS).execute(() -> later.complete(null));
      later.get(10, TimeUnit.SECONDS);
      assertThat(result).isNotDone();
      assertThat(get(core, "in-renewed")).containsEntry("state", "listening");
      assertThat(host.driver()).isEqualTo("vfio-pci");
      assertThat(status(destination)).as("still waiting for the stream").isEqualTo("inmigrate");
    } finally {
      source.shutdownNow();
    }
    result.get(10, TimeUnit.SECONDS);
    assertThat(get(core, "in-renewed")).containsEntry("state", "expired");
    assertThat(host.driver()).isEqualTo("igb");
    assertThat(quits(destination)).isTrue();
  }

  @Test
  void afterTheCommitTheLeaseNoLongerApplies() throws Exception {
    try (LabVm source = machine("lease", dir).name("lease-src").start()) {
      DaemonCore core = core(Duration.ofMillis(300));
      core.handle(new ApiAction.CreateIncoming(plan("in-committed", qmp(), port))).get(30, TimeUnit.SECONDS);
      // The commit, asked at once (as a call from the source, it holds the lease while it waits),
      // goes ahead once the real stream is loaded.
      CompletableFuture<ApiResponse> commit = core.handle(new ApiAction.CommitIncoming("in-committed"));
      IncomingLab.send(source, port).get(120, TimeUnit.SECONDS);
      ApiResponse committed = commit.get(60, TimeUnit.SECONDS);
      assertThat(json(committed)).containsEntry("state", "committed");

      CompletableFuture<Void> later = new CompletableFuture<>();
      CompletableFuture.delayedExecutor(1200, TimeUnit.MILLISECONDS).execute(() -> later.complete(null));
      later.get(10, TimeUnit.SECONDS);
      assertThat(get(core, "in-committed")).containsEntry("state", "committed").containsEntry("result", "SUCCEEDED")
          .doesNotContainKey("lease");
      assertThat(destination.isAlive()).as("not quit").isTrue();
      assertThat(status(destination)).as("the guest runs here").isEqualTo("running");
      assertThat(host.driver()).as("the guest runs here with it").isEqualTo("vfio-pci");
    }
  }
}
