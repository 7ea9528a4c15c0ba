package io.ferry.agent.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EventJsonTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static MigrationEvent deviceDeleted() {
    return new MigrationEvent("m1", 3, Phase.UNPLUG, EventKind.QEMU, Optional.of("hostnet1"),
        Instant.parse("2026-11-27T00:01:02.123456789Z"), 987_654_321L,
        Optional.of(QemuRef.of(Side.SOURCE, "DEVICE_DELETED", 1_795_737_662L, 123_400L)),
        Map.of("path", "/machine/peripheral/hostnet1"));
  }

  @Test
  void lineHasTheDesignShapeFieldForField() throws Exception {
    String line = EventJson.toLine(deviceDeleted());
    assertThat(line).doesNotContain("\n");

    JsonNode o = MAPPER.readTree(line);
    List<String> fields = new ArrayList<>();
    o.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly(
        "migration", "seq", "phase", "kind", "device", "time", "qemu", "detail");
    assertThat(o.get("migration").textValue()).isEqualTo("m1");
    assertThat(o.get("seq").isIntegralNumber()).isTrue();
    assertThat(o.get("seq").longValue()).isEqualTo(3);
    assertThat(o.get("phase").textValue()).isEqualTo("UNPLUG");
    assertThat(o.get("kind").textValue()).isEqualTo("qemu");
    assertThat(o.get("device").textValue()).isEqualTo("hostnet1");

    List<String> timeFields = new ArrayList<>();
    o.get("time").fieldNames().forEachRemaining(timeFields::add);
    assertThat(timeFields).containsExactly("wall", "monoNs");
    assertThat(o.get("time").get("wall").textValue()).isEqualTo("2026-11-27T00:01:02.123456Z");
    assertThat(o.get("time").get("monoNs").isIntegralNumber()).isTrue();
    assertThat(o.get("time").get("monoNs").longValue()).isEqualTo(987_654_321L);

    List<String> qemuFields = new ArrayList<>();
    o.get("qemu").fieldNames().forEachRemaining(qemuFields::add);
    assertThat(qemuFields).containsExactly("side", "event", "timestamp");
    assertThat(o.get("qemu").get("side").textValue()).isEqualTo("source");
    assertThat(o.get("qemu").get("event").textValue()).isEqualTo("DEVICE_DELETED");
    assertThat(o.get("qemu").get("timestamp").isIntegralNumber()).isTrue();
    assertThat(o.get("qemu").get("timestamp").longValue()).isEqualTo(1_795_737_662_123_400L);

    assertThat(o.get("detail").isObject()).isTrue();
    assertThat(o.get("detail").get("path").textValue()).isEqualTo("/machine/peripheral/hostnet1");
  }

  @Test
  void absentDeviceAndQemuAreLeftOutAndDetailIsAlwaysThere() throws Exception {
    MigrationEvent e = new MigrationEvent("m1", 0, Phase.PREFLIGHT, EventKind.STARTED,
        Optional.empty(), Instant.parse("2026-11-27T00:00:00Z"), 1, Optional.empty(), Map.of());
    JsonNode o = MAPPER.readTree(EventJson.toLine(e));
    List<String> fields = new ArrayList<>();
    o.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly("migration", "seq", "phase", "kind", "time", "detail");
    assertThat(o.get("detail").size()).isZero();
    assertThat(o.get("kind").textValue()).isEqualTo("started");
  }

  @Test
  void wallTimeAlwaysHasSixFractionalDigitsInUtc() {
    assertThat(EventJson.formatWall(Instant.parse("2026-11-27T00:00:00Z")))
        .isEqualTo("2026-11-27T00:00:00.000000Z");
    assertThat(EventJson.formatWall(Instant.parse("2026-11-27T23:59:59.1Z")))
        .isEqualTo("2026-11-27T23:59:59.100000Z");
    assertThat(EventJson.formatWall(Instant.parse("2026-11-27T23:59:59.999999999Z")))
        .isEqualTo("2026-11-27T23:59:59.999999Z");
  }

  @Test
  void everyKindAndPhaseRoundTrips() {
    long seq = 0;
    for (Phase phase : Phase.values()) {
      for (EventKind kind : EventKind.values()) {
        if ((phase == Phase.DONE) != (kind == EventKind.RESULT)) {
          continue;
        }
        MigrationEvent e = new MigrationEvent("m-" + phase, seq++, phase, kind, Optional.empty(),
            Instant.now(), System.nanoTime(), Optional.empty(), Map.of("k", kind.wireName()));
        assertThat(EventJson.fromLine(EventJson.toLine(e))).isEqualTo(e);
      }
    }
  }

  @Test
  void nestedDetailsRoundTripExactly() {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("int", 7);
    detail.put("long", Long.MAX_VALUE);
    detail.put("big", new java.math.BigInteger("18446744073709551616"));
    detail.put("double", 0.25);
    detail.put("text", "ünïcode \" quote \n newline");
    detail.put("none", null);
    detail.put("flag", true);
    detail.put("list", Arrays.asList(1, "two", null, List.of(3.5)));
    detail.put("map", Map.of("ram", Map.of("transferred", 123L, "remaining", 0)));
    detail.put("phase", Phase.MIGRATE);

    MigrationEvent e = new MigrationEvent("m1", 9, Phase.MIGRATE, EventKind.PROGRESS,
        Optional.empty(), Instant.now(), System.nanoTime(), Optional.empty(), detail);

    MigrationEvent back = EventJson.fromLine(EventJson.toLine(e));
    assertThat(back).isEqualTo(e);
    assertThat(back.detail().get("int")).isEqualTo(7L);
    assertThat(back.detail().get("phase")).isEqualTo("MIGRATE");
    assertThat(EventJson.toLine(back)).isEqualTo(EventJson.toLine(e));
  }

  @Test
  void resultEventRoundTripsWithItsFigures() {
    MigrationFigures figures = MigrationFigures.builder()
        .downtimeMs(7).switchoverGapUs(9100).deviceAbsenceUs("hostnet1", 190_000)
        .phaseDurationUs(Phase.MIGRATE, 71_000).phaseDurationUs(Phase.UNPLUG, 88_000)
        .ferryOverheadUs(900).totalTimeMs(200).setupTimeMs(1).bytesTransferred(82_000_000)
        .passes(3).build();
    List<MigrationEvent> sink = new ArrayList<>();
    MigrationEvent result =
        new MigrationEvents("m1", sink::add).result(Result.SUCCEEDED, null, figures);

    MigrationEvent back = EventJson.fromLine(EventJson.toLine(result));
    assertThat(back).isEqualTo(result);
    assertThat(ResultDetail.of(back))
        .isEqualTo(new ResultDetail(Result.SUCCEEDED, Optional.empty(), figures));
  }

  @Test
  void malformedLinesAreRejectedWithTheFieldNamed() {
    String good = EventJson.toLine(deviceDeleted());
    assertThatThrownBy(() -> EventJson.fromLine(good.replace("\"seq\":3,", "")))
        .isInstanceOf(EventFormatException.class).hasMessageContaining("\"seq\" is missing");
    assertThatThrownBy(() -> EventJson.fromLine(good.replace("\"seq\":3", "\"seq\":3,\"x\":1")))
        .isInstanceOf(EventFormatException.class).hasMessageContaining("unknown field \"x\"");
    assertThatThrownBy(() -> EventJson.fromLine(good.replace("\"kind\":\"qemu\"",
        "\"kind\":\"odd\""))).isInstanceOf(EventFormatException.class)
        .hasMessageContaining("'odd' is not an event kind; allowed: started, progress, completed,"
            + " failed, warning, qemu, result");
    assertThatThrownBy(() -> EventJson.fromLine(good.replace("\"side\":\"source\"",
        "\"side\":\"left\""))).isInstanceOf(EventFormatException.class)
        .hasMessageContaining("'left' is not a side");
    assertThatThrownBy(() -> EventJson.fromLine(good.replace("\"phase\":\"UNPLUG\"",
        "\"phase\":\"DONE\""))).isInstanceOf(EventFormatException.class)
        .hasMessageContaining("only it, has phase DONE");
    assertThatThrownBy(() -> EventJson.fromLine(good.replace("\"seq\":3", "\"seq\":\"3\"")))
        .isInstanceOf(EventFormatException.class).hasMessageContaining("must be a whole number");
    assertThatThrownBy(() -> EventJson.fromLine("{\"seq\":1,\"seq\":2}"))
        .isInstanceOf(EventFormatException.class).hasMessageContaining("Duplicate field");
    assertThatThrownBy(() -> EventJson.fromLine("[]"))
        .isInstanceOf(EventFormatException.class).hasMessageContaining("must be a JSON object");
    assertThatThrownBy(() -> EventJson.fromLine("{"))
        .isInstanceOf(EventFormatException.class).hasMessageContaining("not JSON");
  }
}
