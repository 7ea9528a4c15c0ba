package io.ferry.qmp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tells whether a unix socket path is accepting connections yet. QEMU binds its QMP socket before
 * it listens on it, so "the file exists" is not enough: a connect in between is refused. Linux
 * offers no event for "now listening", so callers poll this with a deadline.
 */
public final class QmpSocketProbe {
  private static final Path PROC_NET_UNIX = Path.of("/proc/net/unix");
  /** __SO_ACCEPTCON in the Flags column of /proc/net/unix: the socket is listening. */
  private static final int LISTENING = 0x10000;

  private QmpSocketProbe() {}

  public static boolean isListening(Path socket) {
    String path = socket.toAbsolutePath().toString();
    List<String> lines;
    try {
      lines = Files.readAllLines(PROC_NET_UNIX);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + PROC_NET_UNIX, e);
    }
    for (String line : lines) {
      // Num RefCount Protocol Flags Type St Inode Path
      String[] fields = line.trim().split("\\s+");
      if (fields.length >= 8 && fields[7].equals(path)) {
        try {
          if ((Integer.parseInt(fields[3], 16) & LISTENING) != 0) {
            return true;
          }
        } catch (NumberFormatException ignored) {
          // the header line
        }
      }
    }
    return false;
  }
}
