package io.ferry.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code curl} against a daemon's unix socket, as the README's examples call the API. */
public final class DaemonCurl {
  /** Long enough for a whole lab migration's event stream on a loaded 2-core machine. */
  private static final int MAX_SECONDS = 300;

  private DaemonCurl() {}

  /**
   * The response body of {@code curl -s -S ARGS} on {@code socket}. curl itself must succeed (an
   * HTTP error status is still a body: the caller checks it).
   */
  public static String body(Path socket, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-S", "--max-time", String.valueOf(MAX_SECONDS),
        "--unix-socket", socket.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(MAX_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
