package io.ferry.nativetests.twohosts;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A unix-socket relay in front of a QEMU monitor, for tests that crash an in-process daemon:
 * {@link #dropConnections} cuts every relayed connection at once, as the kernel does to a killed
 * process's sockets, and leaves the relay accepting, so that a restarted daemon reaches the same
 * QEMU through the same path.
 */
final class MonitorRelay implements AutoCloseable {
  private final Path path;
  private final Path target;
  private final ServerSocketChannel server;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();

  private MonitorRelay(Path path, Path target) throws IOException {
    this.path = path;
    this.target = target;
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Thread acceptor = new Thread(this::acceptAll, "monitor-relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Listens on {@code path} and relays each connection to the monitor at {@code target}. */
  static MonitorRelay start(Path path, Path target) throws IOException {
    return new MonitorRelay(path, target);
  }

  Path path() {
    return path;
  }

  /** Closes both ends of every connection relayed so far. */
  void dropConnections() {
    for (SocketChannel channel : List.copyOf(open)) {
      closeQuietly(channel);
    }
  }

  private void acceptAll() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException closed) {
        return;
      }
      try {
        SocketChannel upstream = SocketChannel.open(UnixDomainSocketAddress.of(target));
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  /** Copies {@code from} to {@code to} until either closes, then closes both. */
  private void pump(SocketChannel from, SocketChannel to) {
    Thread t = new Thread(() -> {
      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
      try {
        while (from.read(buffer) >= 0) {
          buffer.flip();
          while (buffer.hasRemaining()) {
            to.write(buffer);
          }
          buffer.clear();
        }
      } catch (IOException ended) {
        // one side closed (or was dropped): the other goes with it
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "monitor-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(SocketChannel channel) {
    open.remove(channel);
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing: nothing left to do with it
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    dropConnections();
    Files.deleteIfExists(path);
  }
}
