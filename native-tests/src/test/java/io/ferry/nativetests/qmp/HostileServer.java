package io.ferry.nativetests.qmp;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A unix-socket server that misbehaves on purpose: it runs a script against the one client it
 * accepts. Used to show that no byte sequence crashes or hangs the QMP client.
 */
final class HostileServer implements AutoCloseable {
  /** QEMU 7.2's greeting, as recorded here. */
  static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7},"
          + " \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n";

  interface Script {
    void run(Peer peer) throws Exception;
  }

  /** The accepted connection, with blocking helpers. */
  static final class Peer {
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private final StringBuilder pending = new StringBuilder();

    Peer(SocketChannel channel) {
      this.channel = channel;
    }

    void send(String text) throws IOException {
      send(text.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] bytes) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }

    /** The next line from the client, or null at end of stream. */
    String readLine() throws IOException {
      while (true) {
        int nl = pending.indexOf("\n");
        if (nl >= 0) {
          String line = pending.substring(0, nl);
          pending.delete(0, nl + 1);
          return line;
        }
        in.clear();
        if (channel.read(in) < 0) {
          return null;
        }
        in.flip();
        pending.append(StandardCharsets.UTF_8.decode(in));
      }
    }

    /** Greets and accepts qmp_capabilities, as QEMU does. */
    void negotiate() throws IOException {
      send(GREETING);
      String caps = readLine();
      if (caps == null || !caps.contains("qmp_capabilities")) {
        throw new IOException("expected qmp_capabilities, got " + caps);
      }
      send("{\"return\": {}, \"id\": " + idOf(caps) + "}\r\n");
    }

    static String idOf(String line) {
      int i = line.indexOf("\"id\":");
      return line.substring(i + 5).replaceAll("[^0-9].*", "");
    }

    void close() throws IOException {
      channel.close();
    }
  }

  private final Path directory;
  private final Path socket;
  private final ServerSocketChannel server;
  private final CompletableFuture<Void> finished = new CompletableFuture<>();

  HostileServer(Script script) throws IOException {
    directory = Files.createTempDirectory("ferry-hostile-");
    socket = directory.resolve("qmp.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread thread =
        new Thread(
            () -> {
              try (SocketChannel client = server.accept()) {
                script.run(new Peer(client));
                finished.complete(null);
              } catch (Exception e) {
                // Broken pipes are expected once the client gave up on us.
                finished.complete(null);
              }
            },
            "hostile-qmp-server");
    thread.setDaemon(true);
    thread.start();
  }

  Path socket() {
    return socket;
  }

  CompletableFuture<Void> finished() {
    return finished;
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(directory);
  }
}
