package io.ferry.agent.plan;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Checks a unix socket path: absolute (the agent's working directory is nobody's business), no NUL,
 * and short enough for {@code sockaddr_un.sun_path} (108 bytes with the terminating NUL on Linux),
 * which would otherwise fail only when QEMU or the agent connects.
 */
public final class UnixSocketPath {

  /** Longest path that fits {@code sun_path} with its terminating NUL. */
  public static final int MAX_BYTES = 107;

  private UnixSocketPath() {}

  /** @throws IllegalArgumentException saying what is wrong with the path */
  public static Path requireValid(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("socket path is empty");
    }
    if (text.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("socket path contains a NUL character");
    }
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("socket path '" + text + "' must be absolute");
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "socket path is "
              + bytes
              + " bytes long; a unix socket path holds at most "
              + MAX_BYTES
              + " bytes");
    }
    try {
      return Path.of(text).normalize();
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("socket path '" + text + "' is invalid: " + e.getReason());
    }
  }
}
