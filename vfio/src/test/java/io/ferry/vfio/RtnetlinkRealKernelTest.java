package io.ferry.vfio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.vfio.netlink.LinkInfo;
import io.ferry.vfio.netlink.VfChange;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** rtnetlink against the running kernel: every Linux has lo, and lo has no VFs. */
class RtnetlinkRealKernelTest {
  private final RtnetlinkVfControl rtnetlink = new RtnetlinkVfControl();

  @Test
  void getLinkOfLoopbackThroughARealNetlinkSocket() throws IOException {
    LinkInfo lo = rtnetlink.getLink("lo");

    assertThat(lo.index()).isEqualTo(1);
    assertThat(lo.name()).isEqualTo("lo");
    assertThat(lo.mac()).contains("00:00:00:00:00:00");
    assertThat(lo.vfs()).isEmpty();
  }

  @Test
  void unknownInterfaceIsReportedWithTheKernelsErrno() {
    assertThatThrownBy(() -> rtnetlink.getLink("ferrynone0")).isInstanceOf(IOException.class)
        .hasMessageContaining("ENODEV");
  }

  @Test
  void vfChangeOnALinkWithoutVfsIsRefusedByTheKernel() {
    VfChange change = new VfChange(0, Optional.of("52:54:00:00:00:01"), OptionalInt.empty(), 0, Optional.empty(),
        Optional.empty(), OptionalInt.empty());
    // Root (CI) reaches the driver, which has no VFs; anyone else is stopped by the permission check.
    boolean root = "root".equals(System.getProperty("user.name"));
    assertThatThrownBy(() -> rtnetlink.apply("lo", change)).isInstanceOf(IOException.class)
        .hasMessageContaining(root ? "EOPNOTSUPP" : "EPERM");
    assertThatThrownBy(() -> rtnetlink.read("lo", 0)).isInstanceOf(IOException.class)
        .hasMessageContaining("no VF 0");
  }
}
