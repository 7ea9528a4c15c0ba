package io.ferry.qmp;

import java.util.List;

/** The server's greeting: QEMU's version and the capabilities it offers (e.g. {@code oob}). */
public record QmpGreeting(int major, int minor, int micro, String pkg, List<String> capabilities) {
  public QmpGreeting {
    capabilities = List.copyOf(capabilities);
  }

  public boolean offers(String capability) {
    return capabilities.contains(capability);
  }

  public String version() {
    return major + "." + minor + "." + micro;
  }
}
