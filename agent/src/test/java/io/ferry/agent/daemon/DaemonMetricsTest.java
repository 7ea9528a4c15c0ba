package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.Result;
import io.ferry.agent.migration.MigrationOutcome;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exposition of {@link DaemonMetrics}: counts, cumulative buckets and labels. */
class DaemonMetricsTest {

  @Test
  void qmpRoundTripsAreAHistogramPerCommandWithCumulativeBuckets() {
    DaemonMetrics m = new DaemonMetrics();
    m.qmpRoundTrip("query-status", 300_000, false); // 0.3 ms
    m.qmpRoundTrip("query-status", 2_000_000, false); // 2 ms
    m.qmpRoundTrip("device_add", 40_000_000, true); // 40 ms, answered with an error
    String text = m.render(() -> 0);
    assertThat(text)
        .contains("# TYPE ferry_qmp_round_trip_seconds histogram")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"query-status\",le=\"0.00025\"} 0")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"query-status\",le=\"0.0005\"} 1")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"query-status\",le=\"0.0025\"} 2")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"query-status\",le=\"+Inf\"} 2")
        .contains("ferry_qmp_round_trip_seconds_count{command=\"query-status\"} 2")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"query-status\",le=\"0.0001\"} 0")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"device_add\",le=\"0.025\"} 0")
        .contains("ferry_qmp_round_trip_seconds_bucket{command=\"device_add\",le=\"0.05\"} 1")
        .contains("ferry_qmp_errors_total{command=\"device_add\"} 1")
        .doesNotContain("ferry_qmp_errors_total{command=\"query-status\"}");
    // Commands in name order, so scrapes are stable.
    assertThat(text.indexOf("command=\"device_add\"")).isLessThan(text.indexOf("command=\"query-status\""));
  }

  @Test
  void resultsSubscribersAndRunningAreCounted() {
    DaemonMetrics m = new DaemonMetrics();
    m.migrationEnded(new MigrationOutcome("a", Result.ROLLED_BACK, "refused", null, Map.of()));
    m.migrationEnded(new MigrationOutcome("b", Result.ROLLED_BACK, "refused", null, Map.of()));
    m.subscriberAdded();
    m.subscriberAdded();
    m.subscriberRemoved();
    String text = m.render(() -> 3);
    assertThat(text).contains("ferry_migrations_total{result=\"ROLLED_BACK\"} 2")
        .contains("ferry_migrations_total{result=\"SUCCEEDED\"} 0")
        .contains("ferry_migrations_running 3")
        .contains("ferry_event_subscribers 1");
  }

  @Test
  void aLabelValueIsEscaped() {
    DaemonMetrics m = new DaemonMetrics();
    m.qmpRoundTrip("odd\"name\\", 1_000, false);
    assertThat(m.render(() -> 0)).contains("ferry_qmp_round_trip_seconds_count{command=\"odd\\\"name\\\\\"} 1");
  }
}
