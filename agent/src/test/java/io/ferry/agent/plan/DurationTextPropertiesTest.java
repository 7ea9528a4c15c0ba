package io.ferry.agent.plan;

import static io.ferry.agent.testing.Property.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.testing.Property;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationTextPropertiesTest {

  private static final String[] UNITS = {"ms", "s", "m", "h"};
  private static final long[] UNIT_MILLIS = {1, 1_000, 60_000, 3_600_000};

  @Test
  void aPositiveAmountWithAUnitParsesToThatDurationUpTo24h() {
    forAll(5_000, r -> {
      int u = r.nextInt(UNITS.length);
      long amount = 1 + (long) (r.nextDouble() * (2 * 86_400_000L / UNIT_MILLIS[u]));
      return new long[] {amount, u};
    }, c -> {
      String text = c[0] + UNITS[(int) c[1]];
      long millis = c[0] * UNIT_MILLIS[(int) c[1]];
      if (millis <= 86_400_000L) {
        assertThat(DurationText.parse(text)).isEqualTo(Duration.ofMillis(millis));
      } else {
        assertThatThrownBy(() -> DurationText.parse(text))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("longer than the maximum of 24h");
      }
    });
  }

  @Test
  void formatThenParseIsIdentityForWholeMillisecondsUpTo24h() {
    forAll(5_000, r -> Duration.ofMillis(1 + (long) (r.nextDouble() * 86_400_000L)), d -> {
      String text = DurationText.format(d);
      assertThat(DurationText.parse(text)).isEqualTo(d);
      assertThat(text).matches("[1-9][0-9]*(ms|s|m|h)");
    });
  }

  @Test
  void formatPicksTheLargestExactUnit() {
    assertThat(DurationText.format(Duration.ofMinutes(120))).isEqualTo("2h");
    assertThat(DurationText.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(DurationText.format(Duration.ofNanos(1_500_000_001L))).isEqualTo("1500000001ns");
  }

  @Test
  void anyStringEitherParsesToAValidDurationOrIsRejectedWithIllegalArgument() {
    forAll(10_000, r -> Property.string(r, "0123456789msh .-+eE_", 12), text -> {
      Duration d;
      try {
        d = DurationText.parse(text);
      } catch (IllegalArgumentException expected) {
        assertThat(expected.getMessage()).isNotBlank();
        return;
      }
      assertThat(text).matches("[1-9][0-9]*(ms|s|m|h)");
      assertThat(d).isPositive().isLessThanOrEqualTo(Duration.ofHours(24));
    });
  }
}
