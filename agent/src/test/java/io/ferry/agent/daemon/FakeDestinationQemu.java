package io.ferry.agent.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a destination QEMU started with {@code -S -incoming defer}, on a real QMP unix
 * socket: it answers what an incoming migration's preparation asks ({@code query-status} says
 * {@code inmigrate}, the migration settings and {@code migrate-incoming} are accepted), {@code
 * cont} runs it, and {@code quit} ends it (the socket goes away, as with QEMU). Enough for the
 * daemon's own bookkeeping of incoming migrations; the real QEMU is in native-tests.
 */
final class FakeDestinationQemu implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"fake\"}, \"capabilities\": []}}";

  private final Path socket;
  private final ServerSocketChannel server;
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> quit = new CompletableFuture<>();
  private volatile String status = "inmigrate";
  private volatile boolean loadsAtOnce;

  FakeDestinationQemu(Path socket) throws IOException {
    this.socket = socket;
    Files.createDirectories(socket.getParent());
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread t = new Thread(this::accept, "fake-qemu-" + socket.getFileName());
    t.setDaemon(true);
    t.start();
  }

  /** After {@code migrate-incoming}, the stream is loaded at once (MIGRATION completed). */
  FakeDestinationQemu loadingAtOnce() {
    loadsAtOnce = true;
    return this;
  }

  Path socket() {
    return socket;
  }

  /** Every command received, by name, in order. */
  List<String> commands() {
    return List.copyOf(commands);
  }

  /** Completes when {@code quit} was received (the QEMU is then gone). */
  CompletableFuture<Void> quit() {
    return quit;
  }

  String status() {
    return status;
  }

  // One thread per connection: a daemon that "crashed" may still hold its connection while the
  // restarted one makes its own.
  private void accept() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Thread t = new Thread(() -> {
        try (client) {
          serve(client);
        } catch (IOException e) {
          // the client went away
        }
      }, "fake-qemu-connection");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(SocketChannel client) throws IOException {
    write(client, GREETING);
    BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      JsonNode request = JSON.readTree(line);
      String name = request.path("execute").asText();
      commands.add(name);
      JsonNode id = request.get("id");
      switch (name) {
        case "query-status" -> reply(client, id, JSON.createObjectNode()
            .put("status", status).put("singlestep", false).put("running", "running".equals(status)));
        case "cont" -> {
          status = "running";
          event(client, "RESUME");
          reply(client, id, JSON.createObjectNode());
        }
        case "quit" -> {
          reply(client, id, JSON.createObjectNode());
          event(client, "SHUTDOWN");
          status = "gone";
          server.close();
          Files.deleteIfExists(socket);
          quit.complete(null);
          return;
        }
        case "migrate-incoming" -> {
          reply(client, id, JSON.createObjectNode());
          if (loadsAtOnce) { // as if the source had sent the whole stream: paused with the guest
            status = "paused";
            write(client, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}, \"event\": \"MIGRATION\","
                + " \"data\": {\"status\": \"completed\"}}");
          }
        }
        case "qmp_capabilities", "migrate-set-capabilities", "migrate-set-parameters",
            "device_add", "announce-self" -> reply(client, id, JSON.createObjectNode());
        default -> write(client, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
            + name + " has not been found\"}" + (id == null ? "" : ", \"id\": " + id) + "}");
      }
    }
  }

  private static void reply(SocketChannel client, JsonNode id, ObjectNode value) throws IOException {
    ObjectNode r = JSON.createObjectNode();
    r.set("return", value);
    if (id != null) {
      r.set("id", id);
    }
    write(client, r.toString());
  }

  private static void event(SocketChannel client, String name) throws IOException {
    long micros = System.currentTimeMillis() * 1000;
    write(client, "{\"timestamp\": {\"seconds\": " + micros / 1_000_000 + ", \"microseconds\": " + micros % 1_000_000
        + "}, \"event\": \"" + name + "\"}");
  }

  private static void write(SocketChannel client, String line) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      client.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }
}
