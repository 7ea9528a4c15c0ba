package io.ferry.qmp.transcripts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Records real QEMU sessions as transcripts for the replaying fake server of the unit tests. It
 * speaks raw QMP (no ferry code), so the transcripts show what QEMU does, not what ferry expects.
 * Each line of a transcript is {@code {"dir":"c2s"|"s2c","line":"<exact frame>"}}, or {@code
 * {"dir":"close"}} where QEMU closed the socket.
 *
 * <p>Run with {@code qmp/record-transcripts.sh} (needs qemu-system-x86_64).
 */
public final class TranscriptRecorder implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

  private final SocketChannel channel;
  private final BufferedReader in;
  private final List<String> entries = new ArrayList<>();
  private int nextId = 1;

  private TranscriptRecorder(Path socket) throws IOException {
    channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    readUntil(line -> line.has("QMP"));
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "qmp/src/test/resources/transcripts");
    Files.createDirectories(out);
    recordBasic(out.resolve("basic.jsonl"));
    recordContResume(out.resolve("cont-resume.jsonl"));
    recordQuitShutdown(out.resolve("quit-shutdown.jsonl"));
    recordMigrateSetup(out.resolve("migrate-setup.jsonl"));
    recordSchema(out.resolve("schema.jsonl"));
    recordIdlessError(out.resolve("idless-error.jsonl"));
    recordPciBehindRootPort(out.resolve("pci-behind-root-port.jsonl"));
    System.out.println("transcripts written to " + out.toAbsolutePath());
  }

  /** Negotiation, every query and typed command that needs no second QEMU, and two errors. */
  static void recordBasic(Path file) throws Exception {
    try (Qemu qemu = Qemu.start(); TranscriptRecorder r = new TranscriptRecorder(qemu.socket)) {
      r.command("qmp_capabilities", null);
      r.command("query-status", null);
      r.command("query-pci", null);
      r.command("qom-list", args("path", "/machine/peripheral"));
      r.command(
          "device_add",
          args("driver", "e1000e", "id", "nic1", "bus", "rp1", "mac", "52:54:00:12:34:56"));
      r.command("qom-get", args("path", "/machine/peripheral/nic1", "property", "mac"));
      r.command("query-pci", null);
      r.command("device_del", args("id", "nic1"));
      r.command("device_del", args("id", "no-such-device"));
      r.command("query-migrate", null);
      r.command("query-migrate-capabilities", null);
      r.command("migrate-set-capabilities", caps("events", true));
      r.command("migrate-set-parameters", args("max-bandwidth", 1_000_000_000L));
      r.command("announce-self", args("initial", 50, "max", 550, "rounds", 5, "step", 100));
      r.command("query-fdsets", null);
      r.command("no-such-command", null);
      r.write(file);
    }
  }

  /** RESUME arrives before cont's reply, STOP before stop's. */
  static void recordContResume(Path file) throws Exception {
    try (Qemu qemu = Qemu.start(); TranscriptRecorder r = new TranscriptRecorder(qemu.socket)) {
      r.command("qmp_capabilities", null);
      r.command("cont", null);
      r.command("query-status", null);
      r.command("stop", null);
      r.command("query-status", null);
      r.write(file);
    }
  }

  /** SHUTDOWN arrives before quit's reply; then QEMU closes the socket. */
  static void recordQuitShutdown(Path file) throws Exception {
    try (Qemu qemu = Qemu.start(); TranscriptRecorder r = new TranscriptRecorder(qemu.socket)) {
      r.command("qmp_capabilities", null);
      r.command("quit", null);
      r.readToEnd();
      r.write(file);
    }
  }

  /** The source side of a migration: MIGRATION setup arrives before migrate's reply. */
  static void recordMigrateSetup(Path file) throws Exception {
    try (Qemu source = Qemu.start();
        Qemu destination = Qemu.start("-incoming", "defer");
        TranscriptRecorder dst = new TranscriptRecorder(destination.socket);
        TranscriptRecorder r = new TranscriptRecorder(source.socket)) {
      String uri = "unix:" + destination.directory.resolve("migration.sock");
      dst.command("qmp_capabilities", null);
      dst.command("migrate-set-capabilities", caps("events", true));
      dst.command("migrate-incoming", args("uri", uri));
      r.command("qmp_capabilities", null);
      r.command("migrate-set-capabilities", caps("events", true));
      r.command("migrate-set-parameters", args("max-bandwidth", 1_000_000_000L));
      r.command("migrate", args("uri", uri));
      r.readUntil(
          line ->
              "MIGRATION".equals(line.path("event").asText())
                  && "completed".equals(line.path("data").path("status").asText()));
      r.command("query-migrate", null);
      r.command("query-status", null);
      r.write(file);
    }
  }

  /** query-qmp-schema: one ~200 KB line. */
  static void recordSchema(Path file) throws Exception {
    try (Qemu qemu = Qemu.start(); TranscriptRecorder r = new TranscriptRecorder(qemu.socket)) {
      r.command("qmp_capabilities", null);
      r.command("query-qmp-schema", null);
      r.write(file);
    }
  }

  /**
   * A NUL byte right after a well-formed command: QEMU answers the command, then an error without
   * an id (what a client sees when the stream is out of sync, e.g. after Netty's fd write).
   */
  static void recordIdlessError(Path file) throws Exception {
    try (Qemu qemu = Qemu.start(); TranscriptRecorder r = new TranscriptRecorder(qemu.socket)) {
      r.command("qmp_capabilities", null);
      int id = r.nextId++;
      String line = "{\"execute\":\"query-status\",\"id\":" + id + "}\u0000";
      r.record("c2s", line);
      r.channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
      r.readUntil(reply -> reply.has("error") && !reply.has("id"));
      r.write(file);
    }
  }

  /**
   * query-pci only lists devices behind a root port once firmware numbered the buses: a machine
   * still in prelaunch (-S) shows the port with secondary bus 0 and nothing behind it. So this one
   * lets SeaBIOS run (no bootable device; it idles) before asking.
   */
  static void recordPciBehindRootPort(Path file) throws Exception {
    try (Qemu qemu = Qemu.start(); TranscriptRecorder r = new TranscriptRecorder(qemu.socket)) {
      r.command("qmp_capabilities", null);
      r.command(
          "device_add",
          args("driver", "e1000e", "id", "nic1", "bus", "rp1", "mac", "52:54:00:12:34:56"));
      r.command("cont", null);
      Thread.sleep(3000); // a recording tool, not a test: generous time for SeaBIOS's PCI scan
      JsonNode pci = r.command("query-pci", null);
      if (!pci.toString().contains("\"nic1\"")) {
        throw new IOException("firmware did not number the buses in time; re-run");
      }
      r.command("quit", null);
      r.readToEnd();
      r.write(file);
    }
  }

  /** Sends one command and records everything up to and including its reply. */
  JsonNode command(String name, JsonNode arguments) throws IOException {
    int id = nextId++;
    ObjectNode command = JSON.createObjectNode().put("execute", name);
    if (arguments != null) {
      command.set("arguments", arguments);
    }
    command.put("id", id);
    String line = JSON.writeValueAsString(command);
    record("c2s", line);
    channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
    return readUntil(reply -> reply.path("id").asInt(-1) == id);
  }

  JsonNode readUntil(Predicate<JsonNode> last) throws IOException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      String line = in.readLine();
      if (line == null) {
        throw new IOException("QEMU closed the socket before the awaited frame");
      }
      record("s2c", line);
      JsonNode json = JSON.readTree(line);
      if (last.test(json)) {
        return json;
      }
    }
    throw new IOException("awaited frame did not arrive within " + STEP_TIMEOUT);
  }

  /** Records until QEMU closes the socket (end of file or reset both mean closed). */
  void readToEnd() throws IOException {
    try {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        record("s2c", line);
      }
    } catch (java.net.SocketException reset) {
      // QEMU exited with our last bytes unread by it: the kernel reports a reset.
    }
    entries.add(JSON.createObjectNode().put("dir", "close").toString());
  }

  private void record(String direction, String line) {
    ObjectNode entry = JSON.createObjectNode().put("dir", direction).put("line", line);
    entries.add(entry.toString());
  }

  void write(Path file) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (String entry : entries) {
        w.write(entry);
        w.write('\n');
      }
    }
    System.out.println("recorded " + entries.size() + " frames into " + file);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  static ObjectNode args(Object... keyValues) {
    ObjectNode node = JSON.createObjectNode();
    for (int i = 0; i < keyValues.length; i += 2) {
      node.set((String) keyValues[i], JSON.valueToTree(keyValues[i + 1]));
    }
    return node;
  }

  static ObjectNode caps(String capability, boolean state) {
    ObjectNode node = JSON.createObjectNode();
    node.putArray("capabilities").addObject().put("capability", capability).put("state", state);
    return node;
  }

  /** A paused empty q35 QEMU as a direct child, killed and reaped on close. */
  static final class Qemu implements AutoCloseable {
    final Process process;
    final Path directory;
    final Path socket;

    private Qemu(Process process, Path directory, Path socket) {
      this.process = process;
      this.directory = directory;
      this.socket = socket;
    }

    static Qemu start(String... extra) throws Exception {
      Path directory = Files.createTempDirectory("ferry-record-");
      Path socket = directory.resolve("qmp.sock");
      List<String> command =
          new ArrayList<>(
              List.of(
                  "qemu-system-x86_64",
                  "-machine", "q35,accel=tcg",
                  "-m", "64",
                  "-nodefaults",
                  "-display", "none",
                  "-S",
                  "-qmp", "unix:" + socket + ",server=on,wait=off",
                  "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1"));
      command.addAll(List.of(extra));
      Process process = new ProcessBuilder(command).inheritIO().start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      // No kernel event for "now listening": bounded wait with a deadline.
      while (!io.ferry.qmp.QmpSocketProbe.isListening(socket)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly().waitFor();
          throw new IOException("QEMU did not create its QMP socket");
        }
        Thread.sleep(10);
      }
      return new Qemu(process, directory, socket);
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly().waitFor();
    }
  }
}
