package io.ferry.agent.plan;

import java.util.regex.Pattern;

/** Builds the JSON paths problems are reported at: {@code $.devices[1].destination.host}. */
final class JsonPath {

  static final String ROOT = "$";

  // Names that read unambiguously after a dot; everything else is bracket-quoted.
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]+");

  private JsonPath() {}

  static String field(String parent, String name) {
    if (PLAIN.matcher(name).matches()) {
      return parent + "." + name;
    }
    return parent + "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']";
  }

  static String index(String parent, int index) {
    return parent + "[" + index + "]";
  }
}
