package io.ferry.agent.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CpioNewcWriterTest {
  record Entry(String name, int mode, int uid, byte[] data, int rdevMajor, int rdevMinor) {}

  @Test
  void writesNewcEntriesTheKernelCanUnpack() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (CpioNewcWriter cpio = new CpioNewcWriter(bytes)) {
      cpio.directory("bin");
      cpio.file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
      cpio.symlink("bin/sh", "busybox");
      cpio.characterDevice("dev/console", 0600, 5, 1);
    }
    List<Entry> entries = parse(bytes.toByteArray());

    assertThat(entries).extracting(Entry::name)
        .containsExactly("bin", "init", "bin/sh", "dev/console", "TRAILER!!!");
    assertThat(entries.get(0).mode()).isEqualTo(CpioNewcWriter.S_IFDIR | 0755);
    assertThat(entries.get(1).mode()).isEqualTo(CpioNewcWriter.S_IFREG | 0755);
    assertThat(new String(entries.get(1).data(), StandardCharsets.US_ASCII)).isEqualTo("#!/bin/sh\n");
    assertThat(entries.get(2).mode()).isEqualTo(CpioNewcWriter.S_IFLNK | 0777);
    assertThat(new String(entries.get(2).data(), StandardCharsets.US_ASCII)).isEqualTo("busybox");
    assertThat(entries.get(3).mode()).isEqualTo(CpioNewcWriter.S_IFCHR | 0600);
    assertThat(entries.get(3).rdevMajor()).isEqualTo(5);
    assertThat(entries.get(3).rdevMinor()).isEqualTo(1);
    assertThat(entries).allMatch(e -> e.uid() == 0, "owned by root");
    assertThat(bytes.size() % 4).isZero();
  }

  /** An independent reader of the format (header: magic + 13 hex fields; name and data 4-aligned). */
  private static List<Entry> parse(byte[] archive) {
    List<Entry> entries = new ArrayList<>();
    int at = 0;
    while (true) {
      String header = new String(archive, at, 110, StandardCharsets.US_ASCII);
      assertThat(header).startsWith("070701");
      int mode = field(header, 1);
      int uid = field(header, 2);
      int size = field(header, 6);
      int major = field(header, 9);
      int minor = field(header, 10);
      int nameSize = field(header, 11);
      String name = new String(archive, at + 110, nameSize - 1, StandardCharsets.US_ASCII);
      assertThat(archive[at + 110 + nameSize - 1]).isZero();
      int dataStart = align(at + 110 + nameSize);
      byte[] data = java.util.Arrays.copyOfRange(archive, dataStart, dataStart + size);
      entries.add(new Entry(name, mode, uid, data, major, minor));
      at = align(dataStart + size);
      if (name.equals("TRAILER!!!")) {
        return entries;
      }
    }
  }

  private static int field(String header, int index) {
    return Integer.parseInt(header.substring(6 + index * 8, 14 + index * 8), 16);
  }

  private static int align(int offset) {
    return (offset + 3) & ~3;
  }
}
