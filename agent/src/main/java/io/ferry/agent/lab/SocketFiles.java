package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits for QEMU to create its listening sockets, from inotify events on the work directory
 * (Java's WatchService), so a client connects neither too early nor after a guessed sleep.
 */
final class SocketFiles {
  private SocketFiles() {}

  static CompletableFuture<Void> awaitCreated(List<Path> sockets, Process owner, Duration deadline) {
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread waiter =
        new Thread(() -> watch(sockets, owner, deadline, ready), "ferry-lab-socket-wait");
    waiter.setDaemon(true);
    waiter.start();
    return ready;
  }

  private static void watch(
      List<Path> sockets, Process owner, Duration deadline, CompletableFuture<Void> ready) {
    Path dir = sockets.get(0).getParent();
    try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
      dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
      // A QEMU that exits will never create them: stop waiting at once.
      owner.onExit().thenRun(() -> closeQuietly(watcher));
      long end = System.nanoTime() + deadline.toNanos();
      // Registered before this first check, so a creation in between is not missed.
      while (!sockets.stream().allMatch(Files::exists)) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          ready.completeExceptionally(
              new LabException("QEMU did not create " + sockets + " within " + deadline.toMillis() + " ms"));
          return;
        }
        var key = watcher.poll(left, TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
      ready.complete(null);
    } catch (ClosedWatchServiceException e) {
      ready.completeExceptionally(new LabException("QEMU exited before creating its sockets"));
    } catch (IOException e) {
      ready.completeExceptionally(new LabException("cannot watch " + dir + ": " + e, e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ready.completeExceptionally(e);
    }
  }

  private static void closeQuietly(WatchService watcher) {
    try {
      watcher.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
