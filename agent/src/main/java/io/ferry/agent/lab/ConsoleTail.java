package io.ferry.agent.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * The guest console, read from QEMU's stdout (the console chardev is stdio) on its own thread:
 * each line is appended to the console log and offered to whoever waits for it. Waiting is a
 * future completed by the reading thread, never a polling loop.
 */
final class ConsoleTail {
  private final Path logFile;
  private final List<String> lines = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private String endedBecause;

  private record Waiter(Pattern pattern, int fromLine, CompletableFuture<String> result) {}

  private ConsoleTail(Path logFile) {
    this.logFile = logFile;
  }

  /** Starts reading {@code console} until end of stream, logging to {@code logFile}. */
  static ConsoleTail start(String name, InputStream console, Path logFile) throws IOException {
    ConsoleTail tail = new ConsoleTail(logFile);
    Writer log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> tail.readAll(console, log), "ferry-console-" + name);
    reader.setDaemon(true);
    reader.start();
    return tail;
  }

  Path logFile() {
    return logFile;
  }

  /** Lines seen so far; pass it as {@code fromLine} to wait only for later output. */
  synchronized int lineCount() {
    return lines.size();
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /** The first line at index {@code fromLine} or later that {@code pattern} finds a match in. */
  CompletableFuture<String> await(Pattern pattern, Duration deadline, int fromLine) {
    CompletableFuture<String> result = new CompletableFuture<>();
    synchronized (this) {
      for (int i = Math.max(0, fromLine); i < lines.size(); i++) {
        if (pattern.matcher(lines.get(i)).find()) {
          result.complete(lines.get(i));
          return result;
        }
      }
      if (endedBecause != null) {
        result.completeExceptionally(notSeen(pattern, endedBecause));
        return result;
      }
      waiters.add(new Waiter(pattern, fromLine, result));
    }
    CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .execute(
            () ->
                result.completeExceptionally(
                    new TimeoutException(
                        notSeen(pattern, "within " + deadline.toMillis() + " ms").getMessage())));
    result.whenComplete((line, error) -> forget(result));
    return result;
  }

  private synchronized void forget(CompletableFuture<String> result) {
    waiters.removeIf(w -> w.result() == result);
  }

  private void readAll(InputStream console, Writer log) {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(console, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        String clean = line.replace("\r", "");
        log.write(clean);
        log.write('\n');
        log.flush();
        offer(clean);
      }
      end("QEMU closed the console (the process exited)");
    } catch (IOException e) {
      end("reading the console failed: " + e.getMessage());
    } finally {
      try {
        log.close();
      } catch (IOException ignored) {
        // nothing more to log
      }
    }
  }

  private void offer(String line) {
    List<CompletableFuture<String>> matched = new ArrayList<>();
    synchronized (this) {
      lines.add(line);
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (lines.size() - 1 >= waiter.fromLine() && waiter.pattern().matcher(line).find()) {
          matched.add(waiter.result());
          it.remove();
        }
      }
    }
    // Complete outside the lock: dependents may call back into this console.
    matched.forEach(future -> future.complete(line));
  }

  private void end(String why) {
    List<Waiter> pending;
    synchronized (this) {
      endedBecause = why;
      pending = List.copyOf(waiters);
      waiters.clear();
    }
    pending.forEach(w -> w.result().completeExceptionally(notSeen(w.pattern(), why)));
  }

  private LabException notSeen(Pattern pattern, String why) {
    List<String> recent;
    synchronized (this) {
      recent = lines.subList(Math.max(0, lines.size() - 8), lines.size());
      recent = List.copyOf(recent);
    }
    return new LabException(
        "console never showed /" + pattern + "/ " + why + "; last lines: " + recent + " (log: " + logFile + ")");
  }
}
