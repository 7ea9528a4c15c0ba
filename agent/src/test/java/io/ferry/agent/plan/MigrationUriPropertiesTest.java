package io.ferry.agent.plan;

import static io.ferry.agent.testing.Property.forAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.testing.Property;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MigrationUriPropertiesTest {

  private static final String LABEL = "abcdefghijklmnopqrstuvwxyz0123456789";

  @Test
  void tcpUrisRoundTripForNamesIpv4AndIpv6() {
    forAll(5_000, r -> {
      int port = 1 + r.nextInt(65535);
      String host = switch (r.nextInt(3)) {
        case 0 -> r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "."
            + r.nextInt(256);
        case 1 -> "fd" + Integer.toHexString(r.nextInt(256)) + "::" + Integer.toHexString(
            r.nextInt(0x10000));
        default -> "h" + Property.string(r, LABEL, 10) + (r.nextBoolean() ? ".example.org" : "");
      };
      return new MigrationUri.Tcp(host, port);
    }, uri -> assertThat(MigrationUri.parse(uri.toQemuUri())).isEqualTo(uri));
  }

  @Test
  void unixUrisRoundTrip() {
    forAll(5_000,
        r -> new MigrationUri.Unix(Path.of("/" + Property.string(r, LABEL + "-_.", 40) + "x")),
        uri -> assertThat(MigrationUri.parse(uri.toQemuUri())).isEqualTo(uri));
  }

  @Test
  void anyStringParsesOrIsRejectedWithIllegalArgumentOnly() {
    forAll(10_000, r -> (r.nextBoolean() ? "tcp:" : r.nextBoolean() ? "unix:" : "")
        + Property.string(r, "ab0123456789:[]./-_\u0000 é", 20), text -> {
          MigrationUri uri;
          try {
            uri = MigrationUri.parse(text);
          } catch (IllegalArgumentException expected) {
            assertThat(expected.getMessage()).isNotBlank();
            return;
          }
          // Whatever is accepted means the same thing when written back out.
          assertThat(MigrationUri.parse(uri.toQemuUri())).isEqualTo(uri);
          if (uri instanceof MigrationUri.Tcp tcp) {
            assertThat(tcp.port()).isBetween(1, 65535);
          }
        });
  }
}
