package io.ferry.agent.migration;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How long an incoming migration waits for its source: every call from the source renews it, and
 * once a whole period passes without one, {@code onExpiry} runs. A source that crashed or lost
 * the network must not leave this host's devices bound and a paused QEMU listening forever.
 *
 * <p>One scheduled check at a time on the shared delayed executor (no polling): when it fires
 * early because the lease was renewed meanwhile, it re-arms for the time left. {@code onExpiry}
 * may decline (return false, e.g. while a call from the source is still being answered, which
 * proves the source alive): the lease then starts a new period.
 */
final class Lease {
  private final Duration length;
  private final BooleanSupplier onExpiry;
  private volatile long deadlineNanos;
  private volatile boolean stopped;

  Lease(Duration length, BooleanSupplier onExpiry) {
    if (length.isZero() || length.isNegative()) {
      throw new IllegalArgumentException("a lease must be positive: " + length);
    }
    this.length = length;
    this.onExpiry = onExpiry;
  }

  Duration length() {
    return length;
  }

  /** Starts the first period. */
  void start() {
    renew();
    arm(length.toNanos());
  }

  /** The source was heard from: a whole new period starts now. */
  void renew() {
    deadlineNanos = System.nanoTime() + length.toNanos();
  }

  /** The lease no longer applies (committed, or ended): it will never expire. */
  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  /** Time left before expiry, never negative. */
  Duration remaining() {
    return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
  }

  private void arm(long delayNanos) {
    CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS).execute(this::check);
  }

  private void check() {
    if (stopped) {
      return;
    }
    long left = deadlineNanos - System.nanoTime();
    if (left > 0) {
      arm(left);
      return;
    }
    if (onExpiry.getAsBoolean()) {
      stopped = true;
    } else {
      renew();
      arm(length.toNanos());
    }
  }
}
