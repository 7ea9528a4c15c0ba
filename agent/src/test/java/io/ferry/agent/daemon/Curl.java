package io.ferry.agent.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real HTTP client over the daemon's unix socket: curl, as the README shows it. */
final class Curl {
  record Reply(int status, String body) {}

  private final Path socket;

  Curl(Path socket) {
    this.socket = socket;
  }

  Reply get(String path, String... extra) throws Exception {
    return run(List.of(), path, extra);
  }

  Reply post(String path, String json) throws Exception {
    return run(List.of(), path, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json);
  }

  /** Runs curl, optionally prefixed by {@code wrapper} (e.g. setpriv to run it as another uid). */
  Reply run(List<String> wrapper, String path, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(wrapper);
    cmd.addAll(List.of("curl", "-s", "-S", "--max-time", "60", "--unix-socket", socket.toString(),
        "-w", "\n%{http_code}"));
    cmd.addAll(List.of(extra));
    cmd.add("http://ferry" + path);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("curl did not end");
    }
    int cut = out.lastIndexOf('\n');
    return new Reply(Integer.parseInt(out.substring(cut + 1).trim()), out.substring(0, cut));
  }

  /** Starts a streaming GET; the caller reads its stdout and destroys it. */
  Process stream(String path, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-N", "--max-time", "60",
        "--unix-socket", socket.toString()));
    cmd.addAll(List.of(extra));
    cmd.add("http://ferry" + path);
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }
}
