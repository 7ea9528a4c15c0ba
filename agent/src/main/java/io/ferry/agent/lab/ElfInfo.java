package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** Just enough ELF reading to tell a static executable from a dynamic one. */
final class ElfInfo {
  private ElfInfo() {}

  private static final int PT_INTERP = 3;

  /** True when the 64-bit little-endian ELF file asks for a dynamic loader (PT_INTERP). */
  static boolean hasInterpreter(Path file) {
    try (FileChannel channel = FileChannel.open(file)) {
      ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(header, 0);
      if (header.get(0) != 0x7f || header.get(1) != 'E' || header.get(4) != 2) {
        return true; // not a 64-bit ELF: certainly not a static busybox we can use
      }
      long programHeaders = header.getLong(32);
      int entrySize = Short.toUnsignedInt(header.getShort(54));
      int count = Short.toUnsignedInt(header.getShort(56));
      ByteBuffer entry = ByteBuffer.allocate(entrySize).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        entry.clear();
        channel.read(entry, programHeaders + (long) i * entrySize);
        if (entry.getInt(0) == PT_INTERP) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return true;
    }
  }
}
