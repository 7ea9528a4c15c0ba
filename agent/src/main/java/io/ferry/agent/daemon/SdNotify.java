package io.ferry.agent.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * systemd's readiness protocol: one datagram ({@code READY=1}, {@code STOPPING=1}) to the unix
 * socket named by {@code $NOTIFY_SOCKET}. Without that variable (not run by systemd, or not
 * Type=notify) it does nothing.
 */
public final class SdNotify {
  private final Path socket;

  public SdNotify(Path socket) {
    this.socket = socket;
  }

  /**
   * From {@code $NOTIFY_SOCKET}, if set to a path. An abstract-namespace address ({@code @...}) is
   * not supported by the datagram library and is reported as absent.
   */
  public static Optional<SdNotify> fromEnvironment() {
    String v = System.getenv("NOTIFY_SOCKET");
    if (v == null || v.isEmpty() || v.startsWith("@")) {
      return Optional.empty();
    }
    return Optional.of(new SdNotify(Path.of(v)));
  }

  /** Sends {@code state} (e.g. {@code READY=1}) in one datagram. */
  public void send(String state) throws IOException {
    try (UnixDatagramChannel ch = UnixDatagramChannel.open()) {
      ch.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(socket.toFile()));
    }
  }
}
