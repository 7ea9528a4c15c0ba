package io.ferry.agent.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a "newc" cpio archive, the format the kernel unpacks as initramfs. Written here rather
 * than with cpio(1) so the archive can hold root-owned files and the /dev/console node without
 * the builder being root.
 */
final class CpioNewcWriter implements AutoCloseable {
  static final int S_IFREG = 0100000;
  static final int S_IFDIR = 0040000;
  static final int S_IFLNK = 0120000;
  static final int S_IFCHR = 0020000;

  private final OutputStream out;
  private long written;
  private int nextInode = 1;

  CpioNewcWriter(OutputStream out) {
    this.out = out;
  }

  void directory(String path) throws IOException {
    entry(path, S_IFDIR | 0755, new byte[0], 0, 0);
  }

  void file(String path, int permissions, byte[] content) throws IOException {
    entry(path, S_IFREG | permissions, content, 0, 0);
  }

  void symlink(String path, String target) throws IOException {
    entry(path, S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8), 0, 0);
  }

  void characterDevice(String path, int permissions, int major, int minor) throws IOException {
    entry(path, S_IFCHR | permissions, new byte[0], major, minor);
  }

  private void entry(String path, int mode, byte[] data, int rdevMajor, int rdevMinor)
      throws IOException {
    byte[] name = (path + "\0").getBytes(StandardCharsets.UTF_8);
    StringBuilder header = new StringBuilder("070701");
    int links = (mode & 0170000) == S_IFDIR ? 2 : 1;
    long[] fields = {
      nextInode++, mode, 0 /* uid */, 0 /* gid */, links, 0 /* mtime: reproducible */,
      data.length, 0, 0, rdevMajor, rdevMinor, name.length, 0 /* check */
    };
    for (long field : fields) {
      header.append(String.format("%08x", field));
    }
    write(header.toString().getBytes(StandardCharsets.US_ASCII));
    write(name);
    pad();
    write(data);
    pad();
  }

  private void write(byte[] bytes) throws IOException {
    out.write(bytes);
    written += bytes.length;
  }

  private void pad() throws IOException {
    while (written % 4 != 0) {
      out.write(0);
      written++;
    }
  }

  @Override
  public void close() throws IOException {
    entry("TRAILER!!!", 0, new byte[0], 0, 0);
    out.close();
  }
}
