package io.ferry.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.codec.QmpJson;
import org.junit.jupiter.api.Test;

class QmpEventTest {
  private static final QmpTimestamp TS = new QmpTimestamp(1795734950, 688760);

  private static JsonNode json(String s) throws Exception {
    return QmpJson.MAPPER.readTree(s);
  }

  @Test
  void eachModelledEventGetsItsRecord() throws Exception {
    assertThat(QmpEvent.of("DEVICE_DELETED", TS, json("{\"path\":\"/machine/peripheral-anon/device[0]\"}")))
        .isEqualTo(new DeviceDeleted(null, "/machine/peripheral-anon/device[0]", TS,
            json("{\"path\":\"/machine/peripheral-anon/device[0]\"}")));
    assertThat(((MigrationEvent) QmpEvent.of("MIGRATION", TS, json("{\"status\":\"wait-unplug\"}"))).status())
        .isEqualTo("wait-unplug");
    assertThat(((MigrationPass) QmpEvent.of("MIGRATION_PASS", TS, json("{\"pass\":3}"))).pass()).isEqualTo(3);
    assertThat(QmpEvent.of("STOP", TS, null)).isInstanceOf(StopEvent.class);
    assertThat(QmpEvent.of("RESUME", TS, null)).isInstanceOf(ResumeEvent.class);
    ShutdownEvent shutdown =
        (ShutdownEvent) QmpEvent.of("SHUTDOWN", TS, json("{\"guest\":true,\"reason\":\"guest-shutdown\"}"));
    assertThat(shutdown.guest()).isTrue();
    assertThat(shutdown.reason()).isEqualTo("guest-shutdown");
    assertThat(((UnplugPrimary) QmpEvent.of("UNPLUG_PRIMARY", TS, json("{\"device-id\":\"hostdev0\"}"))).deviceId())
        .isEqualTo("hostdev0");
    assertThat(
            ((FailoverNegotiated) QmpEvent.of("FAILOVER_NEGOTIATED", TS, json("{\"device-id\":\"standby0\"}")))
                .deviceId())
        .isEqualTo("standby0");
  }

  @Test
  void everyEventKeepsNameTimestampAndRawData() throws Exception {
    QmpEvent e = QmpEvent.of("BLOCK_JOB_COMPLETED", TS, json("{\"device\":\"drive0\",\"len\":5}"));
    assertThat(e).isInstanceOf(GenericEvent.class);
    assertThat(e.name()).isEqualTo("BLOCK_JOB_COMPLETED");
    assertThat(e.timestamp().epochMicros()).isEqualTo(1795734950_688760L);
    assertThat(e.data().path("len").asInt()).isEqualTo(5);
    assertThat(QmpEvent.of("UNPLUG_PRIMARY", TS, null).name()).isEqualTo("UNPLUG_PRIMARY");
  }
}
