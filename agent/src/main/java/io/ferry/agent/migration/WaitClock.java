package io.ferry.agent.migration;

import java.util.concurrent.CompletableFuture;

/**
 * Accounts for the time a migration spends waiting on QEMU and the guest, so that ferry's own
 * overhead can be reported as wall time minus waiting time. Waits overlap (all unplugs run at
 * once), so the clock measures the union of waiting intervals: it starts when the number of
 * outstanding waits goes from zero to one and stops when it returns to zero.
 */
final class WaitClock {
  private int outstanding;
  private long openedAtNs;
  private long waitedNs;

  /**
   * Counts {@code future} as waiting on QEMU or the guest until it completes, and returns a future
   * that completes only once the wait is closed. Handing back {@code future} itself would be wrong:
   * a CompletableFuture runs its dependents last-registered first, so the caller's continuation
   * (ferry's own work) would run before the wait closed and be counted as waiting.
   */
  <T> CompletableFuture<T> track(CompletableFuture<T> future) {
    begin();
    CompletableFuture<T> waited = new CompletableFuture<>();
    future.whenComplete(
        (value, error) -> {
          end();
          if (error == null) {
            waited.complete(value);
          } else {
            waited.completeExceptionally(error);
          }
        });
    return waited;
  }

  /** Whether a wait is open now. */
  synchronized boolean waiting() {
    return outstanding > 0;
  }

  synchronized void begin() {
    if (outstanding++ == 0) {
      openedAtNs = System.nanoTime();
    }
  }

  synchronized void end() {
    if (--outstanding == 0) {
      waitedNs += System.nanoTime() - openedAtNs;
    }
  }

  /** Total waiting time so far, including a wait still open. */
  synchronized long waitedNs() {
    return outstanding > 0 ? waitedNs + (System.nanoTime() - openedAtNs) : waitedNs;
  }
}
