package io.ferry.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.Mode;
import io.ferry.agent.plan.PlanParser;
import io.ferry.qmp.FailoverNegotiated;
import io.ferry.qmp.QmpTimestamp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A peer destination's watch over its QEMU's failover negotiations. */
class FailoverWatchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void eachPrimaryIsNegotiatedByItsOwnStandbyOrReportedMissingAfterTheWait() throws Exception {
    FailoverWatch watch = new FailoverWatch(plan(Mode.FAILOVER));
    assertThat(watch.active()).isTrue();
    assertThat(watch.standbys()).containsExactly("standby0", "standby1");

    // As QEMU says it (data {"device-id": ...}), before anyone waits: kept for the commit.
    watch.onEvent(new FailoverNegotiated("standby0", new QmpTimestamp(1795779935, 661986),
        JSON.readTree("{\"device-id\":\"standby0\"}")));
    watch.onEvent(new FailoverNegotiated("other", new QmpTimestamp(1795779936, 0),
        JSON.readTree("{\"device-id\":\"other\"}")));

    List<FailoverNegotiation> all = watch.await(Duration.ofMillis(50)).get();
    assertThat(all).hasSize(2);
    assertThat(all.get(0)).isEqualTo(new FailoverNegotiation("hostdev0", "standby0", 1795779935661986L, null));
    assertThat(all.get(1).primary()).isEqualTo("hostdev1");
    assertThat(all.get(1).negotiated()).isFalse();
    assertThat(all.get(1).error()).contains("no FAILOVER_NEGOTIATED for standby1 within 50ms");
  }

  @Test
  void anUnplugReplugPlanHasNothingToWatch() throws Exception {
    FailoverWatch watch = new FailoverWatch(plan(Mode.UNPLUG_REPLUG));
    assertThat(watch.active()).isFalse();
    assertThat(watch.await(Duration.ofSeconds(5)).get()).isEmpty();
  }

  private static MigrationPlan plan(Mode mode) {
    return PlanParser.parse("{\"source\":{\"qmp\":\"/run/a.sock\"},\"destination\":"
        + "{\"qmp\":\"/run/b.sock\"},\"uri\":\"tcp:10.0.0.2:4444\",\"mode\":\"" + mode.wireName() + "\","
        + "\"devices\":[{\"id\":\"hostdev0\",\"destination\":{\"driver\":\"e1000e\",\"failover_pair_id\":\"standby0\"}},"
        + "{\"id\":\"hostdev1\",\"destination\":{\"driver\":\"e1000e\",\"failover_pair_id\":\"standby1\"}}]}");
  }
}
