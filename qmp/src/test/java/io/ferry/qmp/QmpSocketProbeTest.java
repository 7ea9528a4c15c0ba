package io.ferry.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QmpSocketProbeTest {
  @Test
  void listeningSocketIsSeenAndAPlainFileIsNot(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("qmp.sock");
    assertThat(QmpSocketProbe.isListening(socket)).isFalse();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      assertThat(QmpSocketProbe.isListening(socket)).isTrue();
    }
    Files.deleteIfExists(socket);
    Files.writeString(dir.resolve("file"), "x");
    assertThat(QmpSocketProbe.isListening(dir.resolve("file"))).isFalse();
  }
}
