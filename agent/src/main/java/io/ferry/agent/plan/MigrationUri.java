package io.ferry.agent.plan;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where QEMU's migration stream goes: the two transports ferry supports. */
public sealed interface MigrationUri {

  /** The URI as QEMU's {@code migrate} and {@code migrate-incoming} take it. */
  String toQemuUri();

  /** {@code unix:/path}: both QEMUs on one host (tests, the lab, local benchmarks). */
  record Unix(Path path) implements MigrationUri {
    public Unix {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String toQemuUri() {
      return "unix:" + path;
    }
  }

  /**
   * {@code tcp:HOST:PORT}; an IPv6 literal is written in brackets ({@code tcp:[::1]:4444}), as QEMU
   * expects. {@code host} holds it without the brackets.
   */
  record Tcp(String host, int port) implements MigrationUri {
    public Tcp {
      Objects.requireNonNull(host, "host");
    }

    @Override
    public String toQemuUri() {
      return "tcp:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  // A DNS name or IPv4 literal: labels of letters, digits and '-', separated by dots.
  Pattern HOST_NAME =
      Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
          + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
  Pattern TCP = Pattern.compile("tcp:(?:\\[([^\\]]*)\\]|([^:\\[\\]]*)):([0-9]{1,5})");

  /**
   * Parses {@code unix:/absolute/path} or {@code tcp:HOST:PORT}.
   *
   * @throws IllegalArgumentException saying which form was expected and what is wrong
   */
  static MigrationUri parse(String text) {
    if (text.startsWith("unix:")) {
      return new Unix(UnixSocketPath.requireValid(text.substring("unix:".length())));
    }
    if (text.startsWith("tcp:")) {
      Matcher m = TCP.matcher(text);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "'" + text + "' is not tcp:HOST:PORT (IPv6 hosts in brackets: tcp:[::1]:4444)");
      }
      int port = Integer.parseInt(m.group(3));
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + m.group(3) + " is not in 1-65535");
      }
      if (m.group(1) != null) {
        String v6 = m.group(1);
        if (!IPV6_LITERAL.matcher(v6).matches() || v6.indexOf(':') < 0) {
          throw new IllegalArgumentException("'[" + v6 + "]' is not an IPv6 address");
        }
        return new Tcp(v6, port);
      }
      String host = m.group(2);
      if (!HOST_NAME.matcher(host).matches()) {
        throw new IllegalArgumentException("'" + host + "' is not a host name or IPv4 address");
      }
      return new Tcp(host, port);
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a supported migration URI: expected unix:/path or tcp:HOST:PORT");
  }
}
