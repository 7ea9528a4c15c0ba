package io.ferry.agent.migration;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A device's absence window ends when the running guest can use it again. */
class TimelineTest {

  @Test
  void aDeviceBackBeforeTheDestinationRunsIsAbsentUntilTheResume() {
    Timeline t = new Timeline();
    t.deviceDeleted("hostdev0", 1_000_000);
    t.deviceDeleted("hostnet1", 1_000_000);
    // QEMU plugs a failover primary while it loads the stream, before the guest runs there.
    t.deviceBack("hostdev0", 1_200_000);
    t.destinationResumed(1_500_000);
    t.deviceBack("hostnet1", 1_700_000);

    assertThat(t.deviceAbsenceUs()).containsEntry("hostdev0", 500_000L).containsEntry("hostnet1", 700_000L);
  }

  @Test
  void withoutAResumeTheWindowEndsWhenTheDeviceCameBack() {
    Timeline t = new Timeline();
    t.deviceDeleted("hostnet1", 1_000_000);
    t.deviceBack("hostnet1", 1_300_000);

    assertThat(t.deviceAbsenceUs()).containsEntry("hostnet1", 300_000L);
  }
}
