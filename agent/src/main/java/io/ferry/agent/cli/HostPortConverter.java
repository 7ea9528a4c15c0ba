package io.ferry.agent.cli;

import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses {@code HOST:PORT} ({@code [v6-address]:PORT} for IPv6), without resolving names yet. */
public final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
  private static final Pattern FORM = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([A-Za-z0-9.-]+)):(\\d{1,5})");

  @Override
  public InetSocketAddress convert(String value) {
    Matcher m = FORM.matcher(value);
    if (!m.matches()) {
      throw new TypeConversionException("'" + value + "' is not HOST:PORT (e.g. 10.0.0.2:7443 or [::1]:7443)");
    }
    int port = Integer.parseInt(m.group(3));
    if (port > 65535) {
      throw new TypeConversionException("port " + port + " is out of range (0-65535)");
    }
    String host = m.group(1) != null ? m.group(1) : m.group(2);
    return new InetSocketAddress(host, port);
  }
}
