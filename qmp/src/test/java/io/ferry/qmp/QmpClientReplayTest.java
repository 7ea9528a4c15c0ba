package io.ferry.qmp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ferry.qmp.transcripts.ReplayServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The client's commands against QEMU 7.2's own recorded answers (see TranscriptRecorder). */
class QmpClientReplayTest extends ReplayClientTest {
  @Test
  void twoConnectionsOnOneIoThreadCompleteTheirRepliesOnThatThread() throws Exception {
    QmpIoThread ioThread = QmpIoThread.next();
    try (ReplayServer other = ReplayServer.replay("basic")) {
      server = ReplayServer.replay("basic");
      client = QmpClient.connect(server.socket(), QmpOptions.defaults(), ioThread).get(5, SECONDS);
      QmpClient second = QmpClient.connect(other.socket(), QmpOptions.defaults(), ioThread).get(5, SECONDS);
      try {
        List<Thread> completedOn = new CopyOnWriteArrayList<>();
        List<Boolean> onTheChosenThread = new CopyOnWriteArrayList<>();
        for (QmpClient each : List.of(client, second)) {
          // The I/O thread is held until the callback is registered, so the reply cannot be
          // handled (and the future completed on this thread) before it.
          CountDownLatch registered = new CountDownLatch(1);
          ioThread.loop().execute(() -> awaitQuietly(registered));
          CompletableFuture<Void> recorded =
              each.queryStatus()
                  .thenRun(
                      () -> {
                        completedOn.add(Thread.currentThread());
                        onTheChosenThread.add(ioThread.isCurrent());
                      });
          registered.countDown();
          recorded.get(5, SECONDS);
        }
        assertThat(onTheChosenThread).containsExactly(true, true);
        assertThat(completedOn.get(0)).isSameAs(completedOn.get(1));
        assertThat(ioThread.isCurrent()).as("the test thread is not an I/O thread").isFalse();
      } finally {
        second.close();
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(5, SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void typedCommandsParseRealReplies() throws Exception {
    connect("basic");
    assertThat(client.greeting().major()).isEqualTo(7);
    assertThat(client.queryStatus().get(5, SECONDS)).isEqualTo(new VmStatus("prelaunch", false));

    List<PciDeviceInfo> before = client.queryPci().get(5, SECONDS);
    PciDeviceInfo rootPort =
        before.stream().filter(d -> d.qdevId().equals("rp1")).findFirst().orElseThrow();
    // A bridge: secondary bus present (0 here, since no firmware numbered the buses under -S).
    assertThat(rootPort.secondaryBus()).isNotNull();
    assertThat(rootPort.classCode()).isEqualTo(0x0604);
    assertThat(client.qomList("/machine/peripheral").get(5, SECONDS))
        .extracting(QomProperty::name)
        .contains("rp1");

    client
        .deviceAdd(Map.of("driver", "e1000e", "id", "nic1", "bus", "rp1", "mac", "52:54:00:12:34:56"))
        .get(5, SECONDS);
    assertThat(client.qomGet("/machine/peripheral/nic1", "mac").get(5, SECONDS).asText())
        .isEqualTo("52:54:00:12:34:56");
    // Real QEMU 7.2 in prelaunch: no firmware numbered the buses, so the port's secondary bus is
    // 0 and query-pci lists nothing behind it (see pciDevicesBehindARootPortAreFlattened).
    assertThat(client.queryPci().get(5, SECONDS)).noneMatch(d -> d.qdevId().equals("nic1"));

    client.deviceDel("nic1").get(5, SECONDS);
    Throwable notFound = failureOf(client.deviceDel("no-such-device"));
    assertThat(notFound).isInstanceOf(QmpCommandException.class);
    assertThat(((QmpCommandException) notFound).errorClass()).isEqualTo("DeviceNotFound");
    assertThat(((QmpCommandException) notFound).command()).isEqualTo("device_del");

    MigrationInfo none = client.queryMigrate().get(5, SECONDS);
    assertThat(none.status()).isNull();
    assertThat(none.ram()).isNull();
    assertThat(none.blockedReasons()).isEmpty();
    assertThat(client.queryMigrateCapabilities().get(5, SECONDS)).containsEntry("events", false);
    client.migrateSetCapabilities(Map.of("events", true)).get(5, SECONDS);
    client.migrateSetParameters(Map.of("max-bandwidth", 1_000_000_000L)).get(5, SECONDS);
    client.announceSelf().get(5, SECONDS);
    assertThat(client.queryFdsets().get(5, SECONDS)).isEmpty();

    Throwable unknown = failureOf(client.execute("no-such-command", null));
    assertThat(((QmpCommandException) unknown).errorClass()).isEqualTo("CommandNotFound");
    assertThat(server.mismatches()).isEmpty();
  }

  @Test
  void pciDevicesBehindARootPortAreFlattened() throws Exception {
    connect("pci-behind-root-port");
    client
        .deviceAdd(Map.of("driver", "e1000e", "id", "nic1", "bus", "rp1", "mac", "52:54:00:12:34:56"))
        .get(5, SECONDS);
    client.cont().get(5, SECONDS);
    List<PciDeviceInfo> devices = client.queryPci().get(5, SECONDS);
    PciDeviceInfo rootPort = devices.stream().filter(d -> d.qdevId().equals("rp1")).findFirst().orElseThrow();
    PciDeviceInfo nic = devices.stream().filter(d -> d.qdevId().equals("nic1")).findFirst().orElseThrow();
    assertThat(rootPort.secondaryBus()).isPositive();
    assertThat(nic.bus()).isEqualTo(rootPort.secondaryBus());
    assertThat(nic.slot()).isZero();
    assertThat(nic.classCode()).isEqualTo(0x0200);
    assertThat(nic.classDescription()).isEqualTo("Ethernet controller");
    assertThat(nic.vendorId()).isEqualTo(0x8086);
    assertThat(nic.deviceId()).isEqualTo(0x10d3);
    assertThat(nic.secondaryBus()).isNull();
    assertThat(server.mismatches()).isEmpty();
  }

  @Test
  void schemaProbesCommandsArgumentsEventsAndOob() throws Exception {
    connect("schema");
    QmpSchema schema = client.querySchema().get(5, SECONDS);
    assertThat(schema.hasCommand("device_add")).isTrue();
    assertThat(schema.hasCommand("no-such-command")).isFalse();
    assertThat(schema.hasCommandArgument("migrate", "uri")).isTrue();
    assertThat(schema.hasCommandArgument("migrate", "no-such-arg")).isFalse();
    assertThat(schema.hasCommandArgument("announce-self", "rounds")).isTrue();
    assertThat(schema.hasEvent("DEVICE_DELETED")).isTrue();
    assertThat(schema.hasEvent("FAILOVER_NEGOTIATED")).isTrue();
    assertThat(schema.hasEvent("NO_SUCH_EVENT")).isFalse();
    assertThat(schema.allowsOob("migrate-pause")).isTrue();
    assertThat(schema.allowsOob("query-status")).isFalse();
    // Cached: a second probe sends nothing.
    assertThat(client.querySchema().get(5, SECONDS)).isSameAs(schema);
    assertThat(server.received()).hasSize(2);
  }

  @Test
  void idlessErrorFailsEveryPendingCommandAndCloses() throws Exception {
    connect("idless-error");
    CompletableFuture<Throwable> listenerClosed = new CompletableFuture<>();
    client.subscribe(closedInto(listenerClosed), 4);
    CompletableFuture<VmStatus> answered = client.queryStatus();
    CompletableFuture<VmStatus> pending = client.queryStatus();
    assertThat(answered.get(5, SECONDS).status()).isEqualTo("prelaunch");
    Throwable failure = failureOf(pending);
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class);
    assertThat(failure.getCause())
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("without id")
        .hasMessageContaining("stray");
    assertThat(client.disconnected().get(5, SECONDS).getCause()).isInstanceOf(QmpProtocolException.class);
    assertThat(listenerClosed.get(5, SECONDS)).isInstanceOf(QmpDisconnectedException.class);
  }

  @Test
  void atMostMaxInFlightCommandsAreOnTheWireAndTheRestQueue() throws Exception {
    connect("basic");
    server.holdWhile(r -> r.path("execute").asText().equals("query-status"));
    List<CompletableFuture<VmStatus>> futures = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      futures.add(client.queryStatus());
    }
    // qmp_capabilities + 8 query-status; the other 4 must stay queued in the client.
    await().atMost(Duration.ofSeconds(5)).until(() -> server.received().size() == 9);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> server.received().size() == 9);
    assertThat(futures).noneMatch(CompletableFuture::isDone);

    server.releaseHeld();
    for (CompletableFuture<VmStatus> f : futures) {
      assertThat(f.get(5, SECONDS).status()).isEqualTo("prelaunch");
    }
    assertThat(server.received()).hasSize(13);
  }

  @Test
  void aTimedOutCommandFreesItsSlotAndItsLateReplyIsDiscarded() throws Exception {
    connect("basic", QmpOptions.defaults().withMaxInFlight(1));
    server.holdWhile(r -> r.path("execute").asText().equals("query-status"));
    CompletableFuture<com.fasterxml.jackson.databind.JsonNode> slow =
        client.execute("query-status", null, Duration.ofMillis(200));
    assertThat(failureOf(slow)).isInstanceOf(QmpTimeoutException.class).hasMessageContaining("query-status");

    // With one slot, this would wait forever if the timed-out command still held it.
    server.holdWhile(r -> false);
    assertThat(client.queryPci().get(5, SECONDS)).isNotEmpty();

    // The late reply for the expired id must not complete anything else.
    server.releaseHeld();
    assertThat(client.qomList("/machine/peripheral").get(5, SECONDS))
        .extracting(QomProperty::name)
        .contains("rp1");
    assertThat(client.queryStatus().get(5, SECONDS).status()).isEqualTo("prelaunch");
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void anErrorAnswerHasNoStackTraceButOtherFailuresKeepTheirs() throws Exception {
    connect("basic");
    // Error answers are expected and frequent; a trace would only point into the decoder.
    Throwable notFound = failureOf(client.deviceDel("no-such-device"));
    assertThat(notFound).isInstanceOf(QmpCommandException.class).hasMessageContaining("DeviceNotFound");
    assertThat(notFound.getStackTrace()).isEmpty();

    server.holdWhile(r -> r.path("execute").asText().equals("query-status"));
    Throwable timeout = failureOf(client.execute("query-status", null, Duration.ofMillis(200)));
    assertThat(timeout).isInstanceOf(QmpTimeoutException.class);
    assertThat(timeout.getStackTrace()).isNotEmpty();
  }

  @Test
  void closeFailsPendingCommandsWithTheDisconnectException() throws Exception {
    connect("basic");
    server.holdWhile(r -> r.path("execute").asText().equals("query-status"));
    CompletableFuture<VmStatus> pending = client.queryStatus();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.heldCount() == 1);
    client.close();
    Throwable failure = failureOf(pending);
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class).hasMessageContaining("closed by the client");
    assertThat(client.isOpen()).isFalse();
    server.clientGone().get(5, SECONDS);
  }

  @Test
  void badInputIsRejectedBeforeAnythingIsSent() throws Exception {
    connect("basic");
    assertThatThrownBy(() -> client.execute(" ", null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.execute("query-status", List.of(1, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("JSON object");
    // A map is normally kept as is for the I/O thread to write; one it cannot is still refused here.
    assertThatThrownBy(() -> client.execute("device_del", Map.of("id", new Object())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("arguments of device_del cannot be turned into JSON");
    assertThatThrownBy(() -> client.execute("device_del", Map.of("id", List.of(Map.of("x", new Object())))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("arguments of device_del cannot be turned into JSON");
    assertThatThrownBy(() -> client.execute("query-status", null, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.deviceAdd(Map.of("id", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("driver");
    assertThatThrownBy(() -> client.deviceAdd(Map.of("driver", "e1000e")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id");
    assertThatThrownBy(() -> client.getfd("x", -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.subscribe(e -> {}, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(client.queryStatus().get(5, SECONDS).status()).isEqualTo("prelaunch");
    assertThat(server.received()).hasSize(2); // qmp_capabilities and the last query-status only
  }
}
