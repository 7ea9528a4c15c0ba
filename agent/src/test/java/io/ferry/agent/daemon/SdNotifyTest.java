package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdNotifyTest {
  @TempDir Path dir;

  @Test
  void readyIsOneDatagramToTheNotifySocket() throws Exception {
    Path socket = dir.resolve("notify");
    try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
      systemd.bind(new UnixSocketAddress(socket.toFile()));
      new SdNotify(socket).send("READY=1");
      ByteBuffer buf = ByteBuffer.allocate(256);
      systemd.receive(buf);
      buf.flip();
      assertThat(StandardCharsets.UTF_8.decode(buf).toString()).isEqualTo("READY=1");
    }
  }
}
