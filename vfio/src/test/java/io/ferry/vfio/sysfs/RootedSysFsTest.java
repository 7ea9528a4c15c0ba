package io.ferry.vfio.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootedSysFsTest {
  @TempDir Path root;

  @Test
  void readsWritesListsAndFollowsLinksUnderItsRoot() throws Exception {
    RootedSysFs fs = new RootedSysFs(root);
    Files.createDirectories(root.resolve("sys/bus/pci/drivers/e1000e"));
    Files.createDirectories(root.resolve("sys/bus/pci/devices/0000:02:00.0"));
    Files.writeString(root.resolve("sys/bus/pci/devices/0000:02:00.0/vendor"), "0x8086\n");
    Files.writeString(root.resolve("sys/bus/pci/devices/0000:02:00.0/driver_override"), "(null)\n");
    Files.createSymbolicLink(root.resolve("sys/bus/pci/devices/0000:02:00.0/driver"), Path.of("../../drivers/e1000e"));

    assertThat(fs.read("/sys/bus/pci/devices/0000:02:00.0/vendor")).contains("0x8086");
    assertThat(fs.read("/sys/bus/pci/devices/0000:02:00.0/absent")).isEmpty();
    assertThat(fs.linkName("/sys/bus/pci/devices/0000:02:00.0/driver")).contains("e1000e");
    assertThat(fs.linkName("/sys/bus/pci/devices/0000:02:00.0/vendor")).isEmpty();
    assertThat(fs.list("/sys/bus/pci/devices/0000:02:00.0")).containsExactly("driver", "driver_override", "vendor");
    assertThat(fs.list("/sys/absent")).isEmpty();
    fs.write("/sys/bus/pci/devices/0000:02:00.0/driver_override", "vfio-pci");
    assertThat(fs.read("/sys/bus/pci/devices/0000:02:00.0/driver_override")).contains("vfio-pci");
  }

  @Test
  void refusesPathsThatCouldLeaveTheRoot() {
    RootedSysFs fs = new RootedSysFs(root);
    for (String bad : new String[] {"sys/bus", "/sys/../etc/passwd", "/sys/./bus", "/sys/bus\0/x"}) {
      assertThatThrownBy(() -> fs.resolve(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void aRefusedWriteNamesThePathTheValueAndTheErrno() {
    RootedSysFs fs = new RootedSysFs(root);
    assertThatThrownBy(() -> fs.write("/sys/missing/dir/attr", "x"))
        .isInstanceOf(SysFsWriteException.class)
        .hasMessageContaining("/sys/missing/dir/attr").hasMessageContaining("'x'")
        .satisfies(e -> assertThat(((SysFsWriteException) e).errno()).contains("ENOENT"));
  }
}
