package io.ferry.qmp.transport;

import io.ferry.qmp.QmpException;
import io.ferry.qmp.codec.QmpDecoder;
import io.ferry.qmp.codec.QmpEncoder;
import io.ferry.qmp.codec.QmpMessage;
import io.ferry.qmp.codec.QmpRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One QMP connection at the byte level: an epoll unix-socket channel with the QMP codec, seen
 * from the client as typed messages in and {@link QmpRequest}s out. All Netty types stay here.
 * Inbound callbacks and {@link #send} run on the channel's event loop ({@link #executor()}).
 */
public final class QmpChannel {
  private static final QmpEncoder ENCODER = new QmpEncoder();

  /** What the client hears from the connection, always on the event loop. */
  public interface Inbound {
    void onMessage(QmpMessage message);

    /** The stream failed: a {@code QmpProtocolException} from the decoder or an I/O error. */
    void onFailure(Throwable cause);

    /** The socket is closed (by either side). Follows {@link #onFailure} when there was one. */
    void onClosed();
  }

  private final Channel channel;

  private QmpChannel(Channel channel) {
    this.channel = channel;
  }

  /**
   * Connects on {@code ioThread}; {@code inbound} is asked for the listener once the channel exists, on its event
   * loop, before any byte is read.
   */
  public static CompletableFuture<QmpChannel> connect(
      Path socket,
      EventLoop ioThread,
      Duration timeout,
      int maxFrameBytes,
      Function<QmpChannel, Inbound> inbound) {
    CompletableFuture<QmpChannel> result = new CompletableFuture<>();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(ioThread) // an event loop is a group of one: the channel stays on it
            .channel(EpollDomainSocketChannel.class)
            // A migration opens two QMP connections and closes them minutes later, and Netty 4.2's
            // default adaptive allocator kept carving (and zeroing, and faulting in) fresh chunks
            // for them: ~7% of the I/O thread's CPU. The pooled allocator's thread-local caches
            // live on the long-lived I/O thread, so memory is reused across connections.
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    QmpChannel qmpChannel = new QmpChannel(ch);
                    ch.pipeline()
                        .addLast("qmp-decoder", new QmpDecoder(maxFrameBytes))
                        .addLast("qmp-encoder", ENCODER)
                        .addLast("qmp-client", new InboundAdapter(inbound.apply(qmpChannel)));
                  }
                });
    ChannelFuture connecting = bootstrap.connect(new DomainSocketAddress(socket.toString()));
    connecting.addListener(
        f -> {
          if (f.isSuccess()) {
            result.complete(new QmpChannel(connecting.channel()));
          } else {
            result.completeExceptionally(f.cause());
          }
        });
    return result;
  }

  /** The event loop that owns this connection; never block on it. */
  public ScheduledExecutorService executor() {
    return channel.eventLoop();
  }

  public boolean inEventLoop() {
    return channel.eventLoop().inEventLoop();
  }

  public boolean isActive() {
    return channel.isActive();
  }

  /**
   * Writes and flushes one command. Call on the event loop. A write failure means the socket is
   * going down; it surfaces through {@link Inbound#onFailure} / {@link Inbound#onClosed}.
   */
  public void send(QmpRequest request) {
    channel.writeAndFlush(request, channel.voidPromise());
  }

  /**
   * Writes one command with {@code fd} attached (SCM_RIGHTS on the command's own bytes), after
   * everything already queued. Call on the event loop.
   */
  public CompletableFuture<Void> sendWithFd(QmpRequest request, int fd, BooleanSupplier abandoned) {
    ByteBuf frame = channel.alloc().buffer();
    try {
      QmpEncoder.writeTo(request, frame);
    } catch (IOException e) {
      frame.release();
      return CompletableFuture.failedFuture(new QmpException("cannot encode " + request.command(), e));
    }
    return FdPassingWriter.write(channel, frame, fd, abandoned);
  }

  public void close() {
    channel.close();
  }

  /** Pipeline end: frames and failures to the client's {@link Inbound}. */
  private static final class InboundAdapter extends ChannelInboundHandlerAdapter {
    private final Inbound inbound;

    InboundAdapter(Inbound inbound) {
      this.inbound = inbound;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      inbound.onMessage((QmpMessage) msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable why =
          cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
      inbound.onFailure(why);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      inbound.onClosed();
    }
  }
}
