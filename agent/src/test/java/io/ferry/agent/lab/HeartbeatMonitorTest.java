package io.ferry.agent.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor against plain unix sockets standing in for QEMU's heartbeat chardevs (the bytes are
 * the guest's: decimal sequence numbers, one per line).
 */
class HeartbeatMonitorTest {
  @TempDir Path dir;

  private ServerSocketChannel listen(String name) throws Exception {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(dir.resolve(name)));
    return server;
  }

  private static void send(SocketChannel channel, String text) throws Exception {
    channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void reportsTheLargestGapAcrossSidesAndRejoinsALineSplitAtSwitchover() throws Exception {
    try (ServerSocketChannel source = listen("src"); ServerSocketChannel destination = listen("dst");
        HeartbeatMonitor monitor = HeartbeatMonitor.connect(dir.resolve("src"), dir.resolve("dst"));
        SocketChannel src = source.accept(); SocketChannel dst = destination.accept()) {
      send(src, "1\n2\n3\n4\n12");
      monitor.awaitCount(HeartbeatSide.SOURCE, 4, Duration.ofSeconds(5)).join();
      Thread.sleep(60); // the silence being measured, not a wait for state
      send(dst, "3\n124\n125\n");
      monitor.awaitCount(HeartbeatSide.DESTINATION, 3, Duration.ofSeconds(5)).join();

      HeartbeatGap gap = monitor.largestGap().orElseThrow();
      assertThat(gap.before()).extracting(Heartbeat::side, Heartbeat::sequence).containsExactly(HeartbeatSide.SOURCE, 4L);
      assertThat(gap.after()).extracting(Heartbeat::side, Heartbeat::sequence)
          .as("'12' from the source and '3' from the destination are one line")
          .containsExactly(HeartbeatSide.DESTINATION, 123L);
      assertThat(gap.sequenceContinuous()).isFalse(); // 4 -> 123: beats were lost in this script
      assertThat(gap.crossesSides()).isTrue();
      assertThat(gap.length()).isGreaterThanOrEqualTo(Duration.ofMillis(60));
      assertThat(monitor.count()).isEqualTo(7);
      assertThat(monitor.lastSeen().orElseThrow().sequence()).isEqualTo(125);
      assertThat(monitor.malformed()).isZero();
    }
  }

  @Test
  void countsLinesThatAreNotSequenceNumbersAsMalformed() throws Exception {
    try (ServerSocketChannel source = listen("one");
        HeartbeatMonitor monitor = HeartbeatMonitor.connect(dir.resolve("one"));
        SocketChannel src = source.accept()) {
      send(src, "1\nnoise\n2\n");
      monitor.awaitCount(HeartbeatSide.SOURCE, 2, Duration.ofSeconds(5)).join();
      assertThat(monitor.malformed()).isEqualTo(1);
      assertThat(monitor.largestGap().orElseThrow().sequenceContinuous()).isTrue();
    }
  }

  @Test
  void awaitCountFailsAtItsDeadlineWithoutBlockingTheCaller() throws Exception {
    try (ServerSocketChannel source = listen("quiet");
        HeartbeatMonitor monitor = HeartbeatMonitor.connect(dir.resolve("quiet"));
        SocketChannel src = source.accept()) {
      CompletableFuture<Heartbeat> never = monitor.awaitCount(HeartbeatSide.SOURCE, 1, Duration.ofMillis(100));
      assertThat(never).isNotDone();
      assertThat(never).failsWithin(Duration.ofSeconds(5));
      assertThat(monitor.largestGap()).isEmpty();
    }
  }
}
