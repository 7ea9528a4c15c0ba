package io.ferry.agent.migration;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CompletableFuture;

/**
 * Accounts for the time a migration spends waiting on QEMU and the guest, so that ferry's own
 * overhead can be reported as wall time minus waiting time. Waits overlap (all unplugs run at
 * once), so the clock measures the union of waiting intervals: it starts when the number of
 * outstanding waits goes from zero to one and stops when it returns to zero.
 *
 * <p>Asked to, it also measures the CPU time ferry's own thread used in the spans between waits:
 * what separates ferry's work from time its thread was ready to run but had no core (on a host
 * whose cores QEMU's emulation holds, the larger part of the overhead). A span that starts on one
 * thread and ends on another is not counted; {@link #unmeasuredSpans} says how many there were.
 * Off by default: each reading of a thread's CPU clock is a system call (~1.6 µs in a VM), about
 * 40 of them per migration.
 */
final class WaitClock {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final boolean measureCpu;
  private int outstanding;
  private long openedAtNs;
  private long waitedNs;
  // The span of ferry's own work in progress (no wait open): where it started.
  private Thread spanThread;
  private long spanCpuStartNs;
  private long ownCpuNs;
  private int unmeasuredSpans;

  WaitClock(boolean measureCpu) {
    this.measureCpu = measureCpu && THREADS.isCurrentThreadCpuTimeSupported();
    if (this.measureCpu) {
      spanStarts();
    }
  }

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
      if (measureCpu) {
        spanEnds();
      }
    }
  }

  synchronized void end() {
    if (--outstanding == 0) {
      waitedNs += System.nanoTime() - openedAtNs;
      if (measureCpu) {
        spanStarts();
      }
    }
  }

  /** Total waiting time so far, including a wait still open. */
  synchronized long waitedNs() {
    return outstanding > 0 ? waitedNs + (System.nanoTime() - openedAtNs) : waitedNs;
  }

  /**
   * The CPU time ferry's own thread used between waits so far (a span in progress on this thread
   * included), or null when not measured.
   */
  synchronized Long ownCpuNs() {
    if (!measureCpu) {
      return null;
    }
    boolean inSpanHere = outstanding == 0 && spanThread == Thread.currentThread();
    return inSpanHere ? ownCpuNs + THREADS.getCurrentThreadCpuTime() - spanCpuStartNs : ownCpuNs;
  }

  /** Spans of ferry's work that began on one thread and ended on another (their CPU is not counted). */
  synchronized int unmeasuredSpans() {
    return unmeasuredSpans;
  }

  private void spanStarts() {
    spanThread = Thread.currentThread();
    spanCpuStartNs = THREADS.getCurrentThreadCpuTime();
  }

  private void spanEnds() {
    if (spanThread == Thread.currentThread()) {
      ownCpuNs += THREADS.getCurrentThreadCpuTime() - spanCpuStartNs;
    } else {
      unmeasuredSpans++;
    }
    spanThread = null;
  }
}
