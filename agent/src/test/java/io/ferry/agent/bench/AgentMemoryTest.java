package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The agent's memory is read from the kernel's /proc/self/status; the sampler keeps the largest VmRSS. */
class AgentMemoryTest {
  @Test
  void parsesVmRssAndVmHwmInKib() throws IOException {
    String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t   90112 kB\nVmRSS:\t   81920 kB\nThreads:\t42\n";
    AgentMemory m = AgentMemory.parse(status);
    assertThat(m.rssKiB()).isEqualTo(81920);
    assertThat(m.hwmKiB()).isEqualTo(90112);
    assertThat(m.rssMiB()).isEqualTo(80.0);
    assertThat(m.hwmMiB()).isEqualTo(88.0);
  }

  @Test
  void aStatusWithoutTheFieldsIsAnError() {
    assertThatThrownBy(() -> AgentMemory.parse("Name:\tjava\n")).hasMessageContaining("VmRSS");
  }

  @Test
  void thisJvmsOwnFiguresAreReadAndThePeakBoundsTheCurrent() throws IOException {
    AgentMemory now = AgentMemory.read();
    assertThat(now.rssKiB()).isPositive();
    assertThat(now.hwmKiB()).isGreaterThanOrEqualTo(now.rssKiB());
  }

  @Test
  void theSamplerReportsTheLargestRssOfItsWindowAndTheHwmAtItsEnd() throws IOException {
    try (MemorySampler sampler = new MemorySampler()) {
      sampler.start();
      byte[] touched = new byte[8 << 20];
      java.util.Arrays.fill(touched, (byte) 1); // resident pages while the window is open
      MemorySampler.RunMemory m = sampler.stop();
      assertThat(m.samples()).isGreaterThanOrEqualTo(2); // the first at start, the last at stop
      assertThat(m.maxRssMiB()).isPositive();
      assertThat(m.hwmMiB()).isPositive();
      assertThat(touched[touched.length - 1]).isEqualTo((byte) 1);
    }
  }
}
