package io.ferry.nativetests.twohosts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two "hosts" on one machine: two network namespaces joined by a veth pair, with a /30 of
 * 10.213.0.0/16 chosen from this JVM's pid so that concurrent runs do not collide. {@link #close()}
 * deletes both namespaces (which deletes the veth pair), whatever state they are in.
 */
final class NetnsPair implements AutoCloseable {
  final String first;
  final String second;
  final String firstAddress;
  final String secondAddress;
  private final List<String> created = new ArrayList<>();

  private NetnsPair(long tag) {
    first = "ferry-a-" + tag;
    second = "ferry-b-" + tag;
    int subnet = (int) (tag % (64 * 256)); // one /30 per tag: 10.213.x.(4k+1, 4k+2)
    int third = subnet / 64;
    int fourth = (subnet % 64) * 4;
    firstAddress = "10.213." + third + "." + (fourth + 1);
    secondAddress = "10.213." + third + "." + (fourth + 2);
  }

  static NetnsPair create() throws IOException {
    long tag = ProcessHandle.current().pid();
    NetnsPair pair = new NetnsPair(tag);
    try {
      pair.setUp(tag);
      return pair;
    } catch (IOException | RuntimeException e) {
      pair.close();
      throw e;
    }
  }

  private void setUp(long tag) throws IOException {
    String vethA = "fva" + tag;
    String vethB = "fvb" + tag;
    ip("netns", "add", first);
    created.add(first);
    ip("netns", "add", second);
    created.add(second);
    ip("link", "add", vethA, "type", "veth", "peer", "name", vethB);
    ip("link", "set", vethA, "netns", first);
    ip("link", "set", vethB, "netns", second);
    ip("-n", first, "addr", "add", firstAddress + "/30", "dev", vethA);
    ip("-n", second, "addr", "add", secondAddress + "/30", "dev", vethB);
    for (String[] ns : new String[][] {{first, vethA}, {second, vethB}}) {
      ip("-n", ns[0], "link", "set", "lo", "up");
      ip("-n", ns[0], "link", "set", ns[1], "up");
    }
  }

  /** The prefix that runs a program in namespace {@code ns} (exec'ing it in place). */
  static List<String> exec(String ns) {
    return List.of("ip", "netns", "exec", ns);
  }

  @Override
  public void close() throws IOException {
    IOException failed = null;
    for (String ns : created) {
      try {
        ip("netns", "del", ns);
      } catch (IOException e) {
        failed = e;
      }
    }
    created.clear();
    if (failed != null) {
      throw failed;
    }
  }

  private static void ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
