package io.ferry.nativetests.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.bench.QmpLatencyBench;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The benchmark's machinery runs end to end on a real QEMU (figures are not asserted). */
class QmpBenchSmokeTest {
  private QemuProcess qemu;

  @AfterEach
  void stop() {
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void measuresEveryLoopWithTheRequestedNumberOfSamples() throws Exception {
    qemu = QemuProcess.start();
    QmpLatencyBench.Result r = QmpLatencyBench.run(qemu.qmpSocket(), 64);
    for (var stats :
        java.util.List.of(
            r.ferrySequential(), r.ferryChained(), r.rawSequential(), r.ferryWindow(), r.rawWindow())) {
      assertThat(stats.count()).isEqualTo(64);
      assertThat(stats.medianNanos()).isPositive();
      assertThat(stats.p99Nanos()).isGreaterThanOrEqualTo(stats.medianNanos());
    }
  }
}
