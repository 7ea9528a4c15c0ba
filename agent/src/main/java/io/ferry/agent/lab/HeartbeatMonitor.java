package io.ferry.agent.lab;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads the guest heartbeat from one or two QEMUs (the source before switchover, the destination
 * after; both connected from the start), stamps each line with {@link System#nanoTime()} as it
 * arrives, and reports the largest gap: how long the guest was seen not running.
 *
 * <p>Each socket is read by its own daemon thread; callers never block on it.
 */
public final class HeartbeatMonitor implements AutoCloseable {
  private final Map<HeartbeatSide, SideLog> sides = new EnumMap<>(HeartbeatSide.class);
  private final List<SocketChannel> channels = new ArrayList<>();
  private final List<CountWaiter> waiters = new ArrayList<>();
  private long malformed;
  private volatile boolean closed;

  private record CountWaiter(HeartbeatSide side, long count, CompletableFuture<Heartbeat> result) {}

  /** Arrival log of one side: sequence numbers and arrival times, in arrival order. */
  private static final class SideLog {
    long[] sequences = new long[4096];
    long[] arrivals = new long[4096];
    int size;
    final StringBuilder partial = new StringBuilder();

    void add(long sequence, long arrival) {
      if (size == sequences.length) {
        sequences = Arrays.copyOf(sequences, size * 2);
        arrivals = Arrays.copyOf(arrivals, size * 2);
      }
      sequences[size] = sequence;
      arrivals[size] = arrival;
      size++;
    }
  }

  private HeartbeatMonitor() {}

  /** Monitors a single VM's heartbeat. */
  public static HeartbeatMonitor connect(Path sourceSocket) throws IOException {
    return connect(Map.of(HeartbeatSide.SOURCE, sourceSocket));
  }

  /** Monitors a migration: the source's and the destination's heartbeat sockets. */
  public static HeartbeatMonitor connect(Path sourceSocket, Path destinationSocket)
      throws IOException {
    return connect(
        Map.of(HeartbeatSide.SOURCE, sourceSocket, HeartbeatSide.DESTINATION, destinationSocket));
  }

  private static HeartbeatMonitor connect(Map<HeartbeatSide, Path> sockets) throws IOException {
    HeartbeatMonitor monitor = new HeartbeatMonitor();
    try {
      for (Map.Entry<HeartbeatSide, Path> entry : new EnumMap<>(sockets).entrySet()) {
        SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(entry.getValue()));
        monitor.channels.add(channel);
        monitor.sides.put(entry.getKey(), new SideLog());
        Thread reader =
            new Thread(
                () -> monitor.read(entry.getKey(), channel),
                "ferry-heartbeat-" + entry.getKey().name().toLowerCase(java.util.Locale.ROOT));
        reader.setDaemon(true);
        reader.start();
      }
    } catch (IOException e) {
      monitor.close();
      throw e;
    }
    return monitor;
  }

  private void read(HeartbeatSide side, SocketChannel channel) {
    ByteBuffer buffer = ByteBuffer.allocate(8192);
    try {
      while (channel.read(buffer.clear()) >= 0) {
        long arrival = System.nanoTime();
        accept(side, new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII), arrival);
      }
    } catch (IOException e) {
      // closed by close(), or QEMU went away: the log so far stays valid
    }
  }

  private void accept(HeartbeatSide side, String chunk, long arrival) {
    List<Map.Entry<CompletableFuture<Heartbeat>, Heartbeat>> reached = new ArrayList<>();
    synchronized (this) {
      SideLog log = sides.get(side);
      for (int i = 0; i < chunk.length(); i++) {
        char c = chunk.charAt(i);
        if (c != '\n') {
          log.partial.append(c);
          continue;
        }
        String line = log.partial.toString().strip();
        log.partial.setLength(0);
        if (log.size == 0) {
          line = joinWithOtherSidesFragment(side, line);
        }
        try {
          log.add(Long.parseLong(line), arrival);
        } catch (NumberFormatException e) {
          malformed++;
          continue;
        }
        Heartbeat beat = new Heartbeat(side, log.sequences[log.size - 1], arrival);
        for (Iterator<CountWaiter> it = waiters.iterator(); it.hasNext(); ) {
          CountWaiter waiter = it.next();
          if (waiter.side() == side && log.size >= waiter.count()) {
            reached.add(Map.entry(waiter.result(), beat));
            it.remove();
          }
        }
      }
    }
    reached.forEach(done -> done.getKey().complete(done.getValue()));
  }

  /**
   * The guest's UART can be stopped mid-line at switchover: the source then delivered the first
   * digits and the destination delivers the rest. Rejoin them so the sequence stays exact.
   */
  private String joinWithOtherSidesFragment(HeartbeatSide side, String line) {
    for (Map.Entry<HeartbeatSide, SideLog> other : sides.entrySet()) {
      if (other.getKey() != side && other.getValue().partial.length() > 0) {
        String joined = other.getValue().partial + line;
        other.getValue().partial.setLength(0);
        return joined;
      }
    }
    return line;
  }

  /** Heartbeats received from both sides. */
  public synchronized long count() {
    return sides.values().stream().mapToLong(log -> log.size).sum();
  }

  public synchronized long count(HeartbeatSide side) {
    SideLog log = sides.get(side);
    return log == null ? 0 : log.size;
  }

  /** Lines that were not a sequence number (should stay 0). */
  public synchronized long malformed() {
    return malformed;
  }

  /** The latest heartbeat received, from either side. */
  public synchronized Optional<Heartbeat> lastSeen() {
    Heartbeat latest = null;
    for (Map.Entry<HeartbeatSide, SideLog> entry : sides.entrySet()) {
      SideLog log = entry.getValue();
      if (log.size > 0 && (latest == null || log.arrivals[log.size - 1] > latest.arrivalNanos())) {
        latest = new Heartbeat(entry.getKey(), log.sequences[log.size - 1], log.arrivals[log.size - 1]);
      }
    }
    return Optional.ofNullable(latest);
  }

  /** The longest silence between consecutive heartbeats (both sides merged by arrival time). */
  public Optional<HeartbeatGap> largestGap() {
    return largestGapBetween(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** Like {@link #largestGap()}, over heartbeats that arrived between the two nanoTime values. */
  public synchronized Optional<HeartbeatGap> largestGapBetween(long fromNanos, long toNanos) {
    SideLog source = sides.getOrDefault(HeartbeatSide.SOURCE, new SideLog());
    SideLog destination = sides.getOrDefault(HeartbeatSide.DESTINATION, new SideLog());
    int s = 0;
    int d = 0;
    Heartbeat previous = null;
    Heartbeat bestBefore = null;
    Heartbeat bestAfter = null;
    long best = -1;
    while (s < source.size || d < destination.size) {
      boolean takeSource =
          d >= destination.size || (s < source.size && source.arrivals[s] <= destination.arrivals[d]);
      Heartbeat current =
          takeSource
              ? new Heartbeat(HeartbeatSide.SOURCE, source.sequences[s], source.arrivals[s++])
              : new Heartbeat(HeartbeatSide.DESTINATION, destination.sequences[d], destination.arrivals[d++]);
      if (current.arrivalNanos() < fromNanos || current.arrivalNanos() > toNanos) {
        continue;
      }
      if (previous != null && current.arrivalNanos() - previous.arrivalNanos() > best) {
        best = current.arrivalNanos() - previous.arrivalNanos();
        bestBefore = previous;
        bestAfter = current;
      }
      previous = current;
    }
    return best < 0
        ? Optional.empty()
        : Optional.of(new HeartbeatGap(Duration.ofNanos(best), bestBefore, bestAfter));
  }

  /** Completes when {@code side} has delivered at least {@code count} heartbeats in all. */
  public CompletableFuture<Heartbeat> awaitCount(HeartbeatSide side, long count, Duration deadline) {
    CompletableFuture<Heartbeat> result = new CompletableFuture<>();
    synchronized (this) {
      SideLog log = sides.get(side);
      if (log == null) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("not monitoring " + side));
      }
      if (log.size >= count) {
        result.complete(new Heartbeat(side, log.sequences[log.size - 1], log.arrivals[log.size - 1]));
        return result;
      }
      waiters.add(new CountWaiter(side, count, result));
    }
    CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .execute(
            () ->
                result.completeExceptionally(
                    new TimeoutException(
                        side + " delivered " + count(side) + " of " + count + " heartbeats within "
                            + deadline.toMillis() + " ms")));
    result.whenComplete((beat, error) -> forget(result));
    return result;
  }

  private synchronized void forget(CompletableFuture<Heartbeat> result) {
    waiters.removeIf(w -> w.result() == result);
  }

  @Override
  public void close() {
    closed = true;
    for (SocketChannel channel : channels) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  public boolean isClosed() {
    return closed;
  }
}
