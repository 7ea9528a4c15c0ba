package io.ferry.vfio;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for a sysfs condition with a deadline. sysfs gives no event when a driver link or a
 * /dev node appears (no inotify on sysfs), so this is the one place that re-checks on an interval.
 */
final class BoundedWait {
  private BoundedWait() {}

  interface Condition {
    boolean holds() throws IOException;
  }

  /** True once the condition holds, false when the timeout passes first. */
  static boolean until(Condition condition, Duration timeout, Duration interval) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.holds()) {
        return true;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      LockSupport.parkNanos(Math.min(left, interval.toNanos()));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting");
      }
    }
  }

  static String describe(Duration d) {
    return TimeUnit.NANOSECONDS.toMillis(d.toNanos()) + " ms";
  }
}
