package io.ferry.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClockOffsetTest {
  @Test
  void aPeerAheadBy50msWithSymmetricDelayIsFoundExactly() {
    long sent = 1_000_000;
    // 300 µs each way; the peer, 50 ms ahead, holds the request 120 ms (a commit waiting for RESUME).
    long received = sent + 300 + 50_000;
    long replied = received + 120_000;
    long answered = sent + 300 + 120_000 + 300;

    ClockOffset offset = ClockOffset.of(sent, received, replied, answered).orElseThrow();

    assertThat(offset.offsetUs()).isEqualTo(50_000);
    assertThat(offset.uncertaintyUs()).isEqualTo(300); // half the 600 µs round trip on the wire
  }

  @Test
  void withAsymmetricDelayTheTrueOffsetStaysWithinTheUncertainty() {
    long sent = 5_000_000;
    long trueOffset = -7_000; // the peer is 7 ms behind
    long received = sent + 900 + trueOffset; // slow way out
    long replied = received + 2_000;
    long answered = sent + 900 + 2_000 + 100; // fast way back

    ClockOffset offset = ClockOffset.of(sent, received, replied, answered).orElseThrow();

    assertThat(Math.abs(offset.offsetUs() - trueOffset)).isLessThanOrEqualTo(offset.uncertaintyUs());
    assertThat(offset.uncertaintyUs()).isEqualTo(500);
  }

  @Test
  void timestampsThatCannotComeFromOneExchangeGiveNoEstimate() {
    assertThat(ClockOffset.of(10, 20, 30, 5)).as("answered before sent").isEmpty();
    assertThat(ClockOffset.of(10, 30, 20, 40)).as("replied before received").isEmpty();
  }

  @Test
  void wallMicrosIsTheEpochInMicroseconds() {
    long before = System.currentTimeMillis() * 1_000;
    long micros = ClockOffset.wallMicros();
    long after = (System.currentTimeMillis() + 1) * 1_000;
    assertThat(micros).isBetween(before, after);
  }
}
