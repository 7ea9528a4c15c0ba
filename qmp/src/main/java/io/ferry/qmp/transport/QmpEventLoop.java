package io.ferry.qmp.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The one I/O thread pool all QMP connections of the process share. Daemon threads, so an
 * embedding program that forgets to close a client still exits. QMP traffic is light: two threads
 * are plenty and keep the 2-core lab machine free.
 */
public final class QmpEventLoop {
  private QmpEventLoop() {}

  private static final class Holder {
    static final EventLoopGroup GROUP =
        new MultiThreadIoEventLoopGroup(
            Math.min(2, Runtime.getRuntime().availableProcessors()),
            new DefaultThreadFactory("qmp-io", true),
            EpollIoHandler.newFactory());
  }

  public static EventLoopGroup group() {
    return Holder.GROUP;
  }

  /** True on one of the QMP I/O threads, where nothing may block. */
  public static boolean isIoThread() {
    for (var executor : Holder.GROUP) {
      if (executor.inEventLoop()) {
        return true;
      }
    }
    return false;
  }
}
