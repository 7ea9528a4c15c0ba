package io.ferry.nativetests.twohosts;

import io.ferry.agent.daemon.TlsFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * {@code ferry serve} as its own process inside a network namespace, as it runs on a host: ready
 * when it says READY=1 on its notify socket (as systemd would hear it), stopped with SIGTERM.
 */
final class DaemonProcess implements AutoCloseable {
  private static final Duration READY = Duration.ofSeconds(120);

  final Path socket;
  final Path log;
  private final Process process;

  private DaemonProcess(Path socket, Path log, Process process) {
    this.socket = socket;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts a daemon in {@code namespace} with its unix socket in {@code dir}; {@code listen} (may be
   * null) is its peer address.
   */
  static DaemonProcess start(String name, String namespace, Path dir, TlsFiles tls, String listen)
      throws Exception {
    Path socket = dir.resolve(name + ".sock");
    Path log = dir.resolve(name + ".log");
    Path notify = dir.resolve(name + ".notify");
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--pdeathsig", "KILL", "--"));
    cmd.addAll(NetnsPair.exec(namespace));
    cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.ferry.agent.cli.FerryMain", "serve",
        "--socket", socket.toString(), "--journal", dir.resolve(name + ".journal").toString(),
        // Each daemon its own migration journal: one daemon per state dir (it is locked).
        "--state-dir", dir.resolve(name + "-state").toString(),
        "--stop-grace", "10s",
        "--tls-cert", tls.certificate().toString(), "--tls-key", tls.privateKey().toString(),
        "--tls-ca", tls.authority().toString()));
    if (listen != null) {
      cmd.addAll(List.of("--listen", listen));
    }
    try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
      systemd.bind(new UnixSocketAddress(notify.toFile()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("NOTIFY_SOCKET", notify.toString());
      Process process = pb.start();
      DaemonProcess daemon = new DaemonProcess(socket, log, process);
      try {
        String said = receive(systemd).get(READY.toSeconds(), TimeUnit.SECONDS);
        if (!said.equals("READY=1")) {
          throw new IOException("daemon " + name + " said " + said);
        }
      } catch (Exception e) {
        daemon.close();
        throw new IOException("daemon " + name + " did not get ready: " + e + "; log: " + Files.readString(log), e);
      }
      return daemon;
    }
  }

  private static CompletableFuture<String> receive(UnixDatagramChannel ch) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        ByteBuffer buf = ByteBuffer.allocate(256);
        ch.receive(buf);
        buf.flip();
        return StandardCharsets.UTF_8.decode(buf).toString();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  String logText() throws IOException {
    return Files.readString(log);
  }

  /** SIGTERM (a graceful stop), then SIGKILL if it has not exited within a minute. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
