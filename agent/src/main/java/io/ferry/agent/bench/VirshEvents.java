package io.ferry.agent.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * libvirt's domain events for one domain, as {@code virsh event --all --loop} prints them (one
 * long-lived virsh; started before the domain exists, so it listens to every domain and keeps
 * this one's). An event's time is when its line arrived here.
 */
final class VirshEvents implements AutoCloseable {
  /** {@code event 'device-removed' for domain 'NAME': ua-hostnet1}. */
  static final Pattern LINE = Pattern.compile("^event '([a-z-]+)' for domain '(.*)': ?(.*)$");

  private record Waiter(String type, String detail, CompletableFuture<Long> arrival) {}

  private final String domain;
  private final Process process;
  private final List<Waiter> waiters = new ArrayList<>();
  private final List<String> seen = new ArrayList<>();

  private VirshEvents(String domain, Process process) {
    this.domain = domain;
    this.process = process;
  }

  static VirshEvents start(Path virsh, String uri, String domain) throws IOException {
    Process process = new ProcessBuilder(Virsh.command(virsh, uri, List.of("event", "--all", "--loop")))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true)
        .start();
    VirshEvents events = new VirshEvents(domain, process);
    Thread reader = new Thread(events::read, "ferry-virsh-events");
    reader.setDaemon(true);
    reader.start();
    return events;
  }

  /**
   * Completes with the arrival (System.nanoTime) of the next event of {@code type} for the domain
   * whose detail is {@code detail} (e.g. the device alias of a {@code device-removed}); register
   * before the command that causes it.
   */
  synchronized CompletableFuture<Long> next(String type, String detail) {
    CompletableFuture<Long> arrival = new CompletableFuture<>();
    if (!process.isAlive()) {
      arrival.completeExceptionally(new IOException("virsh event ended: " + seen));
    } else {
      waiters.add(new Waiter(type, detail, arrival));
    }
    return arrival;
  }

  /** Completes with the arrival of the next event of {@code type} for the domain, any detail. */
  synchronized CompletableFuture<Long> next(String type) {
    return next(type, null);
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        long now = System.nanoTime();
        deliver(line.strip(), now);
      }
    } catch (IOException ignored) {
      // closed
    }
    synchronized (this) {
      for (Waiter w : waiters) {
        w.arrival().completeExceptionally(new IOException("virsh event ended; it printed: " + seen));
      }
      waiters.clear();
    }
  }

  private synchronized void deliver(String line, long now) {
    Matcher m = LINE.matcher(line);
    if (!m.matches()) {
      if (!line.isEmpty() && seen.size() < 20) {
        seen.add(line);
      }
      return;
    }
    if (!m.group(2).equals(domain)) {
      return;
    }
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.type().equals(m.group(1)) && (w.detail() == null || w.detail().equals(m.group(3).strip()))) {
        it.remove();
        w.arrival().complete(now);
      }
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(2, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
