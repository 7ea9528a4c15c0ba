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
      // QEMU binds (the file appears) and then listens; a connect in between is refused.
      // The kernel offers no event for listen(), so: a short bounded re-check.
      while (!sockets.stream().allMatch(socket -> isListening(socket, owner.pid()))) {
        if (System.nanoTime() > end || !owner.isAlive()) {
          ready.completeExceptionally(
              new LabException("QEMU created but never listened on " + sockets));
          return;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
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

  /**
   * Whether a unix socket is bound at {@code path} and listening (__SO_ACCEPTCON), as seen from
   * process {@code pid}: /proc/PID/net/unix lists the sockets of that process's network namespace
   * (a QEMU started in another one is invisible in this process's /proc/net/unix).
   */
  static boolean isListening(Path path, long pid) {
    try {
      String target = path.toAbsolutePath().toString();
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", "unix"))) {
        String[] fields = line.trim().split("\\s+");
        // Num RefCount Protocol Flags Type St Inode Path
        if (fields.length >= 8 && fields[7].equals(target)) {
          if ((Long.parseLong(fields[3], 16) & ACCEPTCON) != 0) {
            return true;
          }
        }
      }
      return false;
    } catch (IOException | NumberFormatException e) {
      return Files.exists(path); // no /proc/net/unix to ask: existence is the best we know
    }
  }

  private static final long ACCEPTCON = 0x10000;

  private static void closeQuietly(WatchService watcher) {
    try {
      watcher.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
