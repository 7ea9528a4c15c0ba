package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventBus;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDiscovery;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/devices/{bdf}/prepare|release} over the real socket, with curl, against the vfio
 * module's fake kernel: the binding changes the endpoints report are the ones sysfs shows.
 */
class DaemonDevicesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private EventBus bus;
  private ExecutorService blocking;
  private FakeHost host;
  private DaemonServer server;
  private Curl curl;

  @BeforeEach
  void start() throws Exception {
    bus = new EventBus();
    blocking = Executors.newCachedThreadPool();
    host = new FakeHost(dir);
    server = DaemonServer.start(dir.resolve("ferry.sock"), new DaemonCore(bus, host.devices, blocking),
        PeerPolicy.withDefaults(List.of()));
    curl = new Curl(server.socket());
  }

  @AfterEach
  void stop() {
    server.close();
    bus.close();
    blocking.shutdown();
    host.close();
  }

  private String driverInSysfs() throws Exception {
    return new PciDiscovery(host.kernel).driver(PciAddress.parse(FakeHost.NIC)).orElse("(none)");
  }

  private static JsonNode assertError(Curl.Reply r, int status, String code) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    JsonNode error = JSON.readTree(r.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).isNotBlank();
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    return error;
  }

  private Curl.Reply post(String path) throws Exception {
    return curl.run(List.of(), path, "-X", "POST");
  }

  @Test
  void prepareBindsTheDeviceToVfioPciAndReleaseGivesItBackToItsDriver() throws Exception {
    Curl.Reply prepared = post("/v1/devices/" + FakeHost.NIC + "/prepare");
    assertThat(prepared.status()).as(prepared.body()).isEqualTo(200);
    JsonNode p = JSON.readTree(prepared.body());
    assertThat(p.get("address").asText()).isEqualTo(FakeHost.NIC);
    assertThat(p.get("originalDriver").asText()).isEqualTo("igb");
    assertThat(p.get("boundByFerry").asBoolean()).isTrue();
    assertThat(p.get("vfioDevice").asText()).isEqualTo("/dev/vfio/7");
    assertThat(p.get("groupStatus").get("viable").asBoolean()).isTrue();
    assertThat(p.get("steps")).isNotEmpty();
    assertThat(driverInSysfs()).isEqualTo("vfio-pci");
    assertThat(JSON.readTree(curl.get("/v1/devices").body()).get(0).get("driver").asText()).isEqualTo("vfio-pci");

    Curl.Reply released = post("/v1/devices/" + FakeHost.NIC + "/release");
    assertThat(released.status()).as(released.body()).isEqualTo(200);
    JsonNode r = JSON.readTree(released.body());
    assertThat(r.get("driver").asText()).isEqualTo("igb");
    assertThat(r.get("leftOnVfio").asBoolean()).isFalse();
    assertThat(driverInSysfs()).isEqualTo("igb");
  }

  @Test
  void vfSettingsInTheBodyAreCheckedAndANonVfIsRefusedUntouched() throws Exception {
    JsonNode error = assertError(curl.post("/v1/devices/" + FakeHost.NIC + "/prepare", "{\"vlan\": 100}"),
        409, "device_refused");
    assertThat(error.get("outcome").asText()).isEqualTo("REFUSED");
    assertThat(error.get("device").asText()).isEqualTo(FakeHost.NIC);
    assertThat(host.kernel.writeLog()).isEmpty();
    assertThat(driverInSysfs()).isEqualTo("igb");
  }

  @Test
  void aSecondPrepareAndAReleaseWhileTheGroupIsInUseAre409AndChangeNothing() throws Exception {
    assertThat(post("/v1/devices/" + FakeHost.NIC + "/prepare").status()).isEqualTo(200);
    List<String> writes = host.kernel.writeLog();

    assertError(post("/v1/devices/" + FakeHost.NIC + "/prepare"), 409, "device_refused");
    host.kernel.groupInUse(7); // a QEMU holds /dev/vfio/7
    JsonNode inUse = assertError(post("/v1/devices/" + FakeHost.NIC + "/release"), 409, "device_refused");
    assertThat(inUse.get("message").asText()).contains("in use");
    assertThat(host.kernel.writeLog()).isEqualTo(writes);
    assertThat(driverInSysfs()).isEqualTo("vfio-pci");

    host.kernel.groupReleased(7);
    assertThat(post("/v1/devices/" + FakeHost.NIC + "/release").status()).isEqualTo(200);
    assertThat(driverInSysfs()).isEqualTo("igb");
  }

  @Test
  void releasingADeviceFerryDidNotPrepareIs409() throws Exception {
    assertError(post("/v1/devices/" + FakeHost.NIC + "/release"), 409, "device_refused");
    assertThat(host.kernel.writeLog()).isEmpty();
  }

  @Test
  void anAbsentDeviceIs404() throws Exception {
    assertError(post("/v1/devices/0000:05:00.0/prepare"), 404, "unknown_device");
    assertError(post("/v1/devices/0000:05:00.0/release"), 404, "unknown_device");
    assertThat(host.kernel.writeLog()).isEmpty();
  }

  @Test
  void aMalformedAddressIs400WithAStableCodeAndNothingIsTouched() throws Exception {
    for (String bad : List.of("0000:00:1.0", "00:01.0", "0000:00:01.8", "zzzz:00:01.0", "0000:00:01.0x",
        "%2e%2e", "0000%3A00%3A01.0%0A")) {
      assertError(post("/v1/devices/" + bad + "/prepare"), 400, "invalid_pci_address");
      assertError(post("/v1/devices/" + bad + "/release"), 400, "invalid_pci_address");
    }
    assertThat(host.kernel.writeLog()).isEmpty();
  }

  @Test
  void badBodiesAndMethodsAreRefusedBeforeAnythingIsTouched() throws Exception {
    String prepare = "/v1/devices/" + FakeHost.NIC + "/prepare";
    assertError(curl.post(prepare, "{\"vlan\": 1, \"colour\": \"blue\"}"), 400, "invalid_request");
    assertError(curl.post(prepare, "{\"vlan\": \"ten\"}"), 400, "invalid_request");
    assertError(curl.post(prepare, "{\"vlan\": 5000}"), 400, "invalid_request");
    assertError(curl.post(prepare, "{\"mac\": \"not-a-mac\"}"), 400, "invalid_request");
    assertError(curl.post(prepare, "[1]"), 400, "invalid_request");
    assertError(curl.post(prepare, "{\"vlan\": "), 400, "invalid_request");
    assertError(curl.run(List.of(), prepare, "-X", "POST", "-H", "Content-Type: text/plain", "--data-binary", "x"),
        415, "unsupported_media_type");
    assertError(curl.post("/v1/devices/" + FakeHost.NIC + "/release", "{}"), 400, "unexpected_body");
    assertError(curl.get(prepare), 405, "method_not_allowed");
    assertThat(host.kernel.writeLog()).isEmpty();
    assertThat(driverInSysfs()).isEqualTo("igb");
  }
}
