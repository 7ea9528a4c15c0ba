package io.ferry.agent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The agent's own resident memory as the kernel counts it ({@code /proc/self/status}): {@code
 * VmRSS} now and {@code VmHWM}, the peak since the JVM started. Both in KiB. Unlike heap figures
 * from the JVM these include thread stacks, metaspace, code cache and Netty's direct buffers.
 */
public record AgentMemory(long rssKiB, long hwmKiB) {
  static final Path STATUS = Path.of("/proc/self/status");

  public static AgentMemory read() throws IOException {
    return parse(Files.readString(STATUS));
  }

  static AgentMemory parse(String status) throws IOException {
    OptionalLong rss = field(status, "VmRSS:");
    OptionalLong hwm = field(status, "VmHWM:");
    if (rss.isEmpty() || hwm.isEmpty()) {
      throw new IOException("no VmRSS/VmHWM in /proc/self/status");
    }
    return new AgentMemory(rss.getAsLong(), hwm.getAsLong());
  }

  /** A line such as {@code VmRSS:\t   81234 kB}. */
  private static OptionalLong field(String status, String name) {
    for (String line : status.split("\n")) {
      if (line.startsWith(name)) {
        String[] words = line.substring(name.length()).trim().split("\\s+");
        if (words.length == 2 && words[1].equals("kB")) {
          return OptionalLong.of(Long.parseLong(words[0]));
        }
      }
    }
    return OptionalLong.empty();
  }

  public double rssMiB() {
    return rssKiB / 1024.0;
  }

  public double hwmMiB() {
    return hwmKiB / 1024.0;
  }
}
