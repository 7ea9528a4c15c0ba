package io.ferry.agent.bench;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The benchmark's baseline: the least a QMP client can do. Blocking JDK socket, hand-written
 * request bytes, replies taken as raw lines, no JSON library, no threads.
 */
final class RawQmpClient implements AutoCloseable {
  private final SocketChannel channel;
  private final ByteBuffer in = ByteBuffer.allocateDirect(256 * 1024);
  private final ByteBuffer out = ByteBuffer.allocateDirect(4096);
  private long nextId = 1;

  RawQmpClient(Path socket) throws IOException {
    channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    in.flip();
    readLine(); // greeting
    send("{\"execute\":\"qmp_capabilities\",\"id\":0}\n");
    readLine();
  }

  /** Sends one query-status; the reply is read by {@link #readLine}. */
  void sendQueryStatus() throws IOException {
    send("{\"execute\":\"query-status\",\"id\":" + (nextId++) + "}\n");
  }

  private void send(String frame) throws IOException {
    out.clear();
    out.put(frame.getBytes(StandardCharsets.US_ASCII));
    out.flip();
    while (out.hasRemaining()) {
      channel.write(out);
    }
  }

  /** Skips one reply line (a paused empty machine sends no events in between). */
  void readLine() throws IOException {
    while (true) {
      while (in.hasRemaining()) {
        if (in.get() == '\n') {
          return;
        }
      }
      in.clear();
      if (channel.read(in) < 0) {
        throw new IOException("QEMU closed the socket");
      }
      in.flip();
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
