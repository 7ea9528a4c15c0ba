package io.ferry.qmp;

import io.ferry.qmp.transport.QmpEventLoop;
import io.netty.channel.EventLoop;

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

  /** Whether the caller runs on this thread. */
  public boolean isCurrent() {
    return loop.inEventLoop();
  }
}
