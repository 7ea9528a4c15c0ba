package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry serve} as its own process under a fake systemd: READY=1, serving, SIGTERM,
 * STOPPING=1, and an event stream ended properly by the stop.
 */
class ServeCommandTest {
  @TempDir Path dir;

  @Test
  void serveNotifiesReadyServesAndStopsOnSigtermEndingEventStreams() throws Exception {
    Path notify = dir.resolve("notify");
    Path socket = dir.resolve("run/ferry.sock");
    try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
      systemd.bind(new UnixSocketAddress(notify.toFile()));
      ProcessBuilder pb = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          "io.ferry.agent.cli.FerryMain", "serve", "--socket", socket.toString(), "--stop-grace", "5s",
          "--journal", dir.resolve("devices.journal").toString(), "--state-dir", dir.resolve("state").toString());
      pb.environment().put("NOTIFY_SOCKET", notify.toString());
      pb.redirectErrorStream(true).redirectOutput(dir.resolve("serve.log").toFile());
      Process daemon = pb.start();
      try {
        assertThat(receive(systemd)).isEqualTo("READY=1");
        Curl curl = new Curl(socket);
        Curl.Reply health = curl.get("/healthz");
        assertThat(health.status()).isEqualTo(200);
        Process follower = curl.stream("/v1/events");
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!curl.get("/metrics").body().contains("ferry_event_subscribers 1")) {
          assertThat(System.nanoTime()).as("subscribed within 60 s").isLessThan(giveUp);
          Thread.sleep(50);
        }

        daemon.destroy(); // SIGTERM
        assertThat(receive(systemd)).isEqualTo("STOPPING=1");
        assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // The stream ended with its terminating chunk, not cut: curl exits 0, not 18 (partial file).
        assertThat(follower.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(follower.exitValue()).as("curl's exit code for the event stream").isZero();
        assertThat(Files.exists(socket)).as("socket removed on exit").isFalse();
        assertThat(Files.readString(dir.resolve("serve.log"))).contains("stopping");
      } finally {
        daemon.destroyForcibly();
      }
    }
  }

  private static String receive(UnixDatagramChannel ch) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        ByteBuffer buf = ByteBuffer.allocate(256);
        ch.receive(buf);
        buf.flip();
        return StandardCharsets.UTF_8.decode(buf).toString();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).get(60, TimeUnit.SECONDS);
  }
}
