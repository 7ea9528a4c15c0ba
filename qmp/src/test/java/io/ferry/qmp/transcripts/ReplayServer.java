package io.ferry.qmp.transcripts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A fake QMP server that replays what the real QEMU answered in a {@link Transcript}. Each client
 * frame is matched to a recorded request with the same command and arguments (the first unused
 * one, else the last used one, so a recorded {@code query-status} can answer many), and QEMU's
 * recorded frames for it are sent back with the recorded id replaced by the client's id. Nothing
 * is invented: a frame with no recorded counterpart is a mismatch and ends the session.
 *
 * <p>Tests can hold back the answers to chosen commands ({@link #holdWhile}) and release them later
 * ({@link #releaseHeld}), to observe the client's queueing and deadlines.
 */
public final class ReplayServer implements AutoCloseable {
  private final Transcript transcript;
  private final Path directory;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Thread thread;
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final List<String> mismatches = new CopyOnWriteArrayList<>();
  private final List<Pending> held = Collections.synchronizedList(new ArrayList<>());
  private final CompletableFuture<Void> clientGone = new CompletableFuture<>();
  private volatile Predicate<JsonNode> hold = request -> false;
  private volatile SocketChannel client;

  private record Pending(Transcript.Exchange exchange, JsonNode clientId) {}

  private ReplayServer(Transcript transcript) throws IOException {
    this.transcript = transcript;
    this.directory = Files.createTempDirectory("ferry-replay-");
    this.socket = directory.resolve("qmp.sock");
    this.server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    this.thread = new Thread(this::serve, "replay-" + transcript.name());
    thread.setDaemon(true);
    thread.start();
  }

  public static ReplayServer replay(String transcriptName) throws IOException {
    return new ReplayServer(Transcript.load(transcriptName));
  }

  public Path socket() {
    return socket;
  }

  /** Client frames received so far, as sent. */
  public List<String> received() {
    return List.copyOf(received);
  }

  /** Client frames that matched nothing recorded (should stay empty). */
  public List<String> mismatches() {
    return List.copyOf(mismatches);
  }

  public int heldCount() {
    return held.size();
  }

  /** Completes when the client closed its end. */
  public CompletableFuture<Void> clientGone() {
    return clientGone;
  }

  /** Answers to requests matching {@code predicate} are kept back until {@link #releaseHeld}. */
  public void holdWhile(Predicate<JsonNode> predicate) {
    hold = Objects.requireNonNull(predicate);
  }

  /** Sends every held answer now (in arrival order) and stops holding. */
  public void releaseHeld() {
    hold = request -> false;
    List<Pending> toSend;
    synchronized (held) {
      toSend = new ArrayList<>(held);
      held.clear();
    }
    for (Pending p : toSend) {
      send(p.exchange, p.clientId);
    }
  }

  private void serve() {
    try (SocketChannel accepted = server.accept()) {
      client = accepted;
      for (String line : transcript.greeting()) {
        writeLine(line);
      }
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(accepted), StandardCharsets.UTF_8));
      Set<Integer> used = new HashSet<>();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        received.add(line);
        JsonNode request = Transcript.parseFirstObject(line);
        int index = match(request, used);
        if (index < 0) {
          mismatches.add(line);
          return;
        }
        used.add(index);
        Transcript.Exchange exchange = transcript.exchanges().get(index);
        if (hold.test(request)) {
          held.add(new Pending(exchange, request.get("id")));
        } else if (!send(exchange, request.get("id"))) {
          return;
        }
      }
    } catch (IOException e) {
      // The client went away; the session is over.
    } finally {
      clientGone.complete(null);
    }
  }

  private int match(JsonNode request, Set<Integer> used) {
    String command = request.path("execute").asText(request.path("exec-oob").asText());
    int lastUsed = -1;
    List<Transcript.Exchange> exchanges = transcript.exchanges();
    for (int i = 0; i < exchanges.size(); i++) {
      Transcript.Exchange e = exchanges.get(i);
      if (e.command().equals(command) && Objects.equals(e.arguments(), request.get("arguments"))) {
        if (!used.contains(i)) {
          return i;
        }
        lastUsed = i;
      }
    }
    return lastUsed;
  }

  /** Returns false when the recorded session ended with QEMU closing the socket. */
  private synchronized boolean send(Transcript.Exchange exchange, JsonNode clientId) {
    try {
      for (String line : exchange.responses()) {
        writeLine(withId(line, exchange.recordedId(), clientId));
      }
      if (exchange.closeAfter()) {
        client.close();
        return false;
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String withId(String line, JsonNode recordedId, JsonNode clientId)
      throws IOException {
    JsonNode frame = Transcript.LENIENT.readTree(line);
    if (frame instanceof ObjectNode object && recordedId != null && recordedId.equals(frame.get("id"))) {
      object.set("id", clientId);
      return Transcript.LENIENT.writeValueAsString(object);
    }
    return line;
  }

  private synchronized void writeLine(String line) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      client.write(bytes);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    SocketChannel c = client;
    if (c != null) {
      c.close();
    }
    thread.interrupt();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(directory);
  }
}
