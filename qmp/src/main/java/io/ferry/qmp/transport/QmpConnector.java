package io.ferry.qmp.transport;

import io.ferry.qmp.codec.QmpDecoder;
import io.ferry.qmp.codec.QmpEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Opens an epoll unix-socket channel with the QMP codec in front of {@code handler}. */
public final class QmpConnector {
  private static final QmpEncoder ENCODER = new QmpEncoder();

  private QmpConnector() {}

  public static CompletableFuture<Channel> connect(
      Path socket, Duration timeout, int maxFrameBytes, ChannelHandler handler) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(QmpEventLoop.group())
            .channel(EpollDomainSocketChannel.class)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast("qmp-decoder", new QmpDecoder(maxFrameBytes))
                        .addLast("qmp-encoder", ENCODER)
                        .addLast("qmp-client", handler);
                  }
                });
    bootstrap
        .connect(new DomainSocketAddress(socket.toString()))
        .addListener(
            f -> {
              if (f.isSuccess()) {
                result.complete(((io.netty.channel.ChannelFuture) f).channel());
              } else {
                result.completeExceptionally(f.cause());
              }
            });
    return result;
  }

  /** The kernel descriptor of an epoll channel, for sendmsg with SCM_RIGHTS. */
  public static int socketFd(Channel channel) {
    return ((EpollDomainSocketChannel) channel).fd().intValue();
  }
}
