package io.ferry.agent.plan;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** Rules for plan values that have no type of their own; each throws IllegalArgumentException. */
final class PlanValueRules {

  // Plan ids end up in file names, log lines and URLs.
  private static final Pattern PLAN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  // QOM property and driver names (e.g. failover_pair_id, x-pci-vendor-id, vfio-pci).
  static final Pattern QOM_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

  private PlanValueRules() {}

  static String planId(String text) {
    if (!PLAN_ID.matcher(text).matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a plan id: 1-64 characters,"
          + " letters, digits, '.', '_' and '-', starting with a letter or digit");
    }
    return text;
  }

  static String driverName(String text) {
    if (!QOM_NAME.matcher(text).matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a QEMU device driver name");
    }
    return text;
  }

  /** The peer agent: {@code https://host:port}, nothing else (no path, query or credentials). */
  static URI agentUri(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + text + "' is not a URI: " + e.getReason());
    }
    if (!"https".equals(uri.getScheme())
        || uri.getHost() == null
        || uri.getPort() < 1
        || uri.getUserInfo() != null
        || uri.getQuery() != null
        || uri.getFragment() != null
        || !(uri.getRawPath() == null || uri.getRawPath().isEmpty()
            || uri.getRawPath().equals("/"))) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an agent address of the form https://host:port");
    }
    return uri;
  }
}
