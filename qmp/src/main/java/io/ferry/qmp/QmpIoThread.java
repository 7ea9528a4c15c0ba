package io.ferry.qmp;

import io.ferry.qmp.transport.QmpEventLoop;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One of the QMP I/O threads, to put several connections on. A caller that chains commands across
 * two monitors (a reply from one triggers a command on the other) connects both on the same
 * thread: each continuation then runs where the next command is written, with no hand-off to
 * another thread and no wake-up to wait for.
 */
public final class QmpIoThread {
  private final EventLoop loop;

  private QmpIoThread(EventLoop loop) {
    this.loop = loop;
  }

  /** The next I/O thread in turn, as a new connection would get by default. */
  public static QmpIoThread next() {
    return new QmpIoThread(QmpEventLoop.group().next());
  }

  EventLoop loop() {
    return loop;
  }

  /**
   * Runs {@code task} on this thread once {@code delay} has passed. Meant for the deadlines and
   * timers of work whose replies arrive on this thread: scheduled from this thread, a timer costs
   * no wake-up of another thread, and when it fires it runs where the replies are handled. The
   * task must not block. Cancel the returned future when the timer is no longer needed, so that
   * nothing holds on to it for the whole delay.
   */
  public ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return loop.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  /** Whether the caller runs on this thread. */
  public boolean isCurrent() {
    return loop.inEventLoop();
  }
}
