package io.ferry.nativetests.qmp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.qmp.AddFdResult;
import io.ferry.qmp.DeviceDeleted;
import io.ferry.qmp.FdSet;
import io.ferry.qmp.MigrationEvent;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpCommandException;
import io.ferry.qmp.QmpDisconnectedException;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpEventListener;
import io.ferry.qmp.QmpOptions;
import io.ferry.qmp.QmpSchema;
import io.ferry.qmp.QmpTimeoutException;
import io.ferry.qmp.QomProperty;
import io.ferry.qmp.ResumeEvent;
import io.ferry.qmp.ShutdownEvent;
import io.ferry.qmp.StopEvent;
import io.ferry.qmp.VmStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The QMP library against real qemu-system-x86_64 processes (paused, empty q35 machines). */
class RealQemuQmpTest {
  private static final Duration T = Duration.ofSeconds(10);
  private final List<QemuProcess> qemus = new ArrayList<>();
  private final List<QmpClient> clients = new ArrayList<>();

  @AfterEach
  void killEverything() {
    clients.forEach(QmpClient::close);
    qemus.forEach(QemuProcess::close);
  }

  private QemuProcess qemu(String... extra) throws Exception {
    QemuProcess q = QemuProcess.start(extra);
    qemus.add(q);
    return q;
  }

  private QmpClient connect(QemuProcess q) throws Exception {
    return connect(q, QmpOptions.defaults());
  }

  private QmpClient connect(QemuProcess q, QmpOptions options) throws Exception {
    QmpClient c = QmpClient.connect(q.qmpSocket(), options).get(T.toSeconds(), SECONDS);
    clients.add(c);
    return c;
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(T.toSeconds(), SECONDS);
  }

  private static Throwable failureOf(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(T.toSeconds(), SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("future neither completed nor failed within " + T, e);
    }
    throw new AssertionError("expected a failure, got success");
  }

  record RoundTrip(String command, long nanos, boolean error) {}

  @Test
  void everyRepliedCommandIsReportedWithItsRoundTripAndWhetherItFailed() throws Exception {
    // A loaded 2-core CI machine can take longer than the 5 s default to start QEMU's monitor.
    QmpClient client = connect(qemu(), QmpOptions.defaults().withConnectTimeout(Duration.ofSeconds(30)));
    List<RoundTrip> seen = new CopyOnWriteArrayList<>();
    client.observeRoundTrips((command, nanos, error) -> seen.add(new RoundTrip(command, nanos, error)));
    long before = System.nanoTime();
    get(client.queryStatus());
    failureOf(client.execute("qom-get", Map.of("path", "/machine/nope", "property", "x")));
    long elapsed = System.nanoTime() - before;
    assertThat(seen).extracting(RoundTrip::command).containsExactly("query-status", "qom-get");
    assertThat(seen).extracting(RoundTrip::error).containsExactly(false, true);
    // Each round trip is real time spent on this connection: positive, and within the wall time.
    assertThat(seen).allSatisfy(r -> assertThat(r.nanos()).isPositive().isLessThanOrEqualTo(elapsed));

    client.observeRoundTrips(io.ferry.qmp.QmpRoundTripListener.NONE);
    get(client.queryStatus());
    assertThat(seen).hasSize(2);
  }

  @Test
  void negotiatesAndRunsTheTypedCommandsOnAPausedMachine() throws Exception {
    QmpClient client = connect(qemu());
    assertThat(client.greeting().major()).isEqualTo(7);
    assertThat(client.greeting().capabilities()).contains("oob");
    assertThat(get(client.queryStatus())).isEqualTo(new VmStatus("prelaunch", false));

    QmpSchema schema = get(client.querySchema());
    assertThat(schema.hasCommand("device_add")).isTrue();
    assertThat(schema.hasCommandArgument("migrate-incoming", "uri")).isTrue();
    assertThat(schema.hasEvent("UNPLUG_PRIMARY")).isTrue();

    List<PciDeviceInfo> pci = get(client.queryPci());
    assertThat(pci).anyMatch(d -> d.qdevId().equals("rp1") && d.secondaryBus() != null);
    assertThat(get(client.qomList("/machine/peripheral"))).extracting(QomProperty::name).contains("rp1");

    List<QmpEvent> events = new CopyOnWriteArrayList<>();
    client.subscribe(events::add, 64);
    client.deviceAdd(Map.of("driver", "e1000e", "id", "hostnet1", "bus", "rp1", "mac", "52:54:00:00:00:01"));
    assertThat(get(client.qomGet("/machine/peripheral/hostnet1", "mac")).asText())
        .isEqualTo("52:54:00:00:00:01");
    Throwable duplicate =
        failureOf(client.deviceAdd(Map.of("driver", "e1000e", "id", "hostnet1", "bus", "rp1")));
    assertThat(duplicate).isInstanceOf(QmpCommandException.class);

    // A paused guest never completes the unplug: the deadline fires and nothing else breaks.
    CompletableFuture<QmpEvent> deleted =
        client.awaitEvent(
            e -> e instanceof DeviceDeleted d && "hostnet1".equals(d.device()), Duration.ofMillis(500));
    get(client.deviceDel("hostnet1"));
    assertThat(failureOf(deleted)).isInstanceOf(QmpTimeoutException.class);
    assertThat(events).noneMatch(e -> e instanceof DeviceDeleted);
    assertThat(client.isOpen()).isTrue();

    MigrationInfo idle = get(client.queryMigrate());
    assertThat(idle.status()).isNull();
    assertThat(get(client.queryMigrateCapabilities())).containsKey("events");
    get(client.migrateSetCapabilities(Map.of("events", true)));
    assertThat(get(client.queryMigrateCapabilities())).containsEntry("events", true);
    get(client.migrateSetParameters(Map.of("max-bandwidth", 1L << 40, "downtime-limit", 300)));
    get(client.migrateCancel());
    get(client.announceSelf());

    CompletableFuture<QmpEvent> resume = client.awaitEvent(e -> e instanceof ResumeEvent, T);
    get(client.cont());
    get(resume);
    assertThat(get(client.queryStatus()).running()).isTrue();
    CompletableFuture<QmpEvent> stop = client.awaitEvent(e -> e instanceof StopEvent, T);
    get(client.stop());
    get(stop);
    assertThat(get(client.queryStatus())).isEqualTo(new VmStatus("paused", false));

    Throwable unknown = failureOf(client.execute("no-such-command", null));
    assertThat(((QmpCommandException) unknown).errorClass()).isEqualTo("CommandNotFound");
  }

  @Test
  void queryPciFlattensDevicesBehindRootPortsOnceFirmwareNumberedTheBuses() throws Exception {
    QmpClient client = connect(qemu());
    get(client.deviceAdd(Map.of("driver", "e1000e", "id", "nic1", "bus", "rp1")));
    // In prelaunch no firmware has numbered the buses: QEMU lists nothing behind the port.
    assertThat(get(client.queryPci())).noneMatch(d -> d.qdevId().equals("nic1"));
    get(client.cont());
    // SeaBIOS numbers the buses while it boots; there is no event for that, so poll with a deadline.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> get(client.queryPci()).stream().anyMatch(d -> d.qdevId().equals("nic1")));
    List<PciDeviceInfo> pci = get(client.queryPci());
    PciDeviceInfo port = pci.stream().filter(d -> d.qdevId().equals("rp1")).findFirst().orElseThrow();
    PciDeviceInfo nic = pci.stream().filter(d -> d.qdevId().equals("nic1")).findFirst().orElseThrow();
    assertThat(port.secondaryBus()).isPositive();
    assertThat(nic.bus()).isEqualTo(port.secondaryBus());
    assertThat(nic.classCode()).isEqualTo(0x0200);
    assertThat(nic.vendorId()).isEqualTo(0x8086);
  }

  @Test
  void migratesAPausedEmptyMachineOverAUnixSocket() throws Exception {
    QemuProcess destination = qemu("-incoming", "defer");
    QmpClient src = connect(qemu());
    QmpClient dst = connect(destination);
    assertThat(get(dst.queryStatus()).status()).isEqualTo("inmigrate");
    for (QmpClient c : List.of(src, dst)) {
      get(c.migrateSetCapabilities(Map.of("events", true)));
    }
    get(src.migrateSetParameters(Map.of("max-bandwidth", 1L << 40)));
    String uri = "unix:" + destination.directory().resolve("migration.sock");
    get(dst.migrateIncoming(uri));

    List<String> sourceStatuses = new CopyOnWriteArrayList<>();
    src.subscribe(e -> {
      if (e instanceof MigrationEvent m) {
        sourceStatuses.add(m.status());
      }
    }, 64);
    CompletableFuture<QmpEvent> srcDone =
        src.awaitEvent(e -> e instanceof MigrationEvent m && isFinal(m.status()), T);
    CompletableFuture<QmpEvent> dstDone =
        dst.awaitEvent(e -> e instanceof MigrationEvent m && isFinal(m.status()), T);
    get(src.migrate(uri));
    assertThat(((MigrationEvent) get(srcDone)).status()).isEqualTo("completed");
    assertThat(((MigrationEvent) get(dstDone)).status()).isEqualTo("completed");

    MigrationInfo info = get(src.queryMigrate());
    assertThat(info.status()).isEqualTo("completed");
    assertThat(info.totalTimeMs()).isNotNull().isGreaterThanOrEqualTo(0);
    assertThat(info.downtimeMs()).isNotNull();
    assertThat(info.ram()).isNotNull();
    assertThat(info.ram().total()).isPositive();
    assertThat(sourceStatuses).startsWith("setup").endsWith("completed");
    assertThat(get(src.queryStatus()).status()).isEqualTo("postmigrate");
    // The destination holds the state, paused: a source that never ran leaves it in prelaunch.
    VmStatus arrived = get(dst.queryStatus());
    assertThat(arrived.running()).isFalse();
    assertThat(arrived.status()).isIn("paused", "prelaunch");

    // quit: SHUTDOWN, the reply, then the connection ends and is reported as such.
    CompletableFuture<QmpEvent> shutdown = dst.awaitEvent(e -> e instanceof ShutdownEvent, T);
    get(dst.quit());
    assertThat(((ShutdownEvent) get(shutdown)).reason()).isEqualTo("host-qmp-quit");
    assertThat(get(dst.disconnected())).isInstanceOf(QmpDisconnectedException.class);
    assertThat(destination.process().waitFor(10, SECONDS)).isTrue();
  }

  private static boolean isFinal(String status) {
    return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
  }

  @Test
  void passesRealFileDescriptorsWithGetfdAndAddFd() throws Exception {
    QmpClient client = connect(qemu());
    POSIX posix = POSIXFactory.getNativePOSIX();
    int[] pipe = new int[2];
    assertThat(posix.pipe(pipe)).isZero();
    int devNull = posix.open("/dev/null", 2 /* O_RDWR */, 0);
    assertThat(devNull).isGreaterThanOrEqualTo(0);
    try {
      get(client.getfd("ferry-pipe", pipe[1]));
      // QEMU holds it under that name: closefd succeeds once, then the name is gone.
      get(client.execute("closefd", Map.of("fdname", "ferry-pipe")));
      assertThat(failureOf(client.execute("closefd", Map.of("fdname", "ferry-pipe"))))
          .isInstanceOf(QmpCommandException.class);

      AddFdResult added = get(client.addFd(devNull, null, "ferry-test"));
      AddFdResult second = get(client.addFd(pipe[0], added.fdsetId(), null));
      assertThat(second.fdsetId()).isEqualTo(added.fdsetId());
      List<FdSet> sets = get(client.queryFdsets());
      FdSet set = sets.stream().filter(s -> s.fdsetId() == added.fdsetId()).findFirst().orElseThrow();
      assertThat(set.fds()).extracting(e -> e.fd()).containsExactlyInAnyOrder(added.fd(), second.fd());
      assertThat(set.fds()).anyMatch(e -> e.fd() == added.fd() && "ferry-test".equals(e.opaque()));

      // The fd rode on the command's own bytes: no stray byte, the stream is still in sync.
      assertThat(client.isOpen()).isTrue();
      assertThat(get(client.queryStatus()).status()).isEqualTo("prelaunch");
    } finally {
      posix.close(pipe[0]);
      posix.close(pipe[1]);
      posix.close(devNull);
    }
  }

  @Test
  void sigkillMidCommandFailsThePendingCommandWithTheDisconnectException() throws Exception {
    QemuProcess q = qemu();
    QmpClient client = connect(q);
    CompletableFuture<Throwable> listenerClosed = new CompletableFuture<>();
    client.subscribe(
        new QmpEventListener() {
          @Override
          public void onEvent(QmpEvent event) {}

          @Override
          public void onClosed(Throwable reason) {
            listenerClosed.complete(reason);
          }
        },
        8);
    CompletableFuture<QmpEvent> waiting = client.awaitEvent(e -> false, Duration.ofSeconds(60));
    // Freeze QEMU so the command is certainly in flight, then kill it.
    assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(q.pid())).start().waitFor()).isZero();
    CompletableFuture<VmStatus> pending = client.queryStatus();
    assertThat(pending).isNotDone();
    q.kill();
    Throwable failure = failureOf(pending);
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class).hasMessageContaining("QEMU");
    assertThat(failureOf(waiting)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(listenerClosed.get(10, SECONDS)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(client.isOpen()).isFalse();
    assertThat(failureOf(client.queryStatus())).isInstanceOf(QmpDisconnectedException.class);
    // Reconnecting is explicit, and fails cleanly when nobody listens any more.
    assertThat(failureOf(client.reconnect())).isInstanceOf(QmpDisconnectedException.class);
  }

  @Test
  void withOobNegotiatedAllowOobCommandsGoOutOfBand() throws Exception {
    QmpClient client = connect(qemu(), QmpOptions.defaults().withEnableOob(true));
    assertThat(client.oobEnabled()).isTrue();
    // query-yank is allow-oob in 7.2: sent with exec-oob it answers; a non-oob command still works.
    assertThat(get(client.execute("query-yank", null)).isArray()).isTrue();
    assertThat(get(client.queryStatus()).status()).isEqualTo("prelaunch");
    // migrate-pause (allow-oob) reaches the oob handler, which refuses it without a postcopy.
    assertThat(failureOf(client.execute("migrate-pause", null))).isInstanceOf(QmpCommandException.class);
    assertThatThrownBy(() -> client.execute("", null)).isInstanceOf(IllegalArgumentException.class);
  }
}
