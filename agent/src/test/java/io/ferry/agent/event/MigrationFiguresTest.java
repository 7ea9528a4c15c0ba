package io.ferry.agent.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MigrationFiguresTest {

  @Test
  void unmeasuredFiguresAreLeftOutAndPhasesComeInPhaseOrder() {
    MigrationFigures f = MigrationFigures.builder()
        .phaseDurationUs(Phase.REPLUG, 3).phaseDurationUs(Phase.PREFLIGHT, 1)
        .phaseDurationUs(Phase.MIGRATE, 2).downtimeMs(7).build();

    Map<String, Object> detail = f.toDetail();
    assertThat(detail.keySet())
        .containsExactly("downtimeMs", "deviceAbsenceUs", "phaseDurationsUs");
    @SuppressWarnings("unchecked")
    Map<String, Long> phases = (Map<String, Long>) detail.get("phaseDurationsUs");
    assertThat(List.copyOf(phases.keySet())).containsExactly("PREFLIGHT", "MIGRATE", "REPLUG");
  }

  @Test
  void detailRoundTrips() {
    MigrationFigures f = new MigrationFigures(7L, 9_100L, Map.of("hostnet1", 190_000L),
        Map.of(Phase.UNPLUG, 88_000L), 900L, 700L, 200L, 1L, 82_000_000L, 3L);
    assertThat(MigrationFigures.fromDetail(f.toDetail())).isEqualTo(f);
    assertThat(MigrationFigures.fromDetail(MigrationFigures.none().toDetail()))
        .isEqualTo(MigrationFigures.none());
  }

  @Test
  void badDetailIsRefused() {
    assertThatThrownBy(() -> MigrationFigures.fromDetail(Map.of("downtime", 1L)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown field");
    assertThatThrownBy(() -> MigrationFigures.fromDetail(Map.of("downtimeMs", "7")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole number");
    assertThatThrownBy(() -> MigrationFigures.fromDetail(
        Map.of("phaseDurationsUs", Map.of("WARP", 1L))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'WARP' is not a phase");
  }
}
