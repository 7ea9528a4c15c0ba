package io.ferry.agent.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's API on TCP, for peer agents: mutual TLS only. The TLS handshake requires a client
 * certificate chaining to the configured CA; a connection that does not complete it never reaches
 * the HTTP codec. There is no plaintext TCP mode.
 */
public final class TlsListener implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(TlsListener.class.getName());
  private static final WriteBufferWaterMark STREAM_BUFFER = new WriteBufferWaterMark(256 * 1024, 1024 * 1024);
  // A peer that opens a connection and never finishes the handshake must not hold it forever.
  private static final long HANDSHAKE_TIMEOUT_MS = 10_000;

  private final EventLoopGroup group;
  private final Channel server;
  private final InetSocketAddress address;

  private TlsListener(EventLoopGroup group, Channel server, InetSocketAddress address) {
    this.group = group;
    this.server = server;
    this.address = address;
  }

  /** Binds {@code address} (port 0 for any free port) and serves {@code core} behind mutual TLS. */
  public static TlsListener start(InetSocketAddress address, DaemonCore core, TlsFiles tls) throws IOException {
    SslContext ssl = tls.serverContext();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(
        1, new DefaultThreadFactory("ferry-api-tls", true), EpollIoHandler.newFactory());
    try {
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(EpollServerSocketChannel.class)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, STREAM_BUFFER)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              var handler = ssl.newHandler(ch.alloc());
              handler.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MS);
              ch.pipeline().addLast(
                  handler,
                  new HandshakeLog(),
                  new HttpServerCodec(),
                  new CappedAggregator(RequestParser.MAX_BODY_BYTES),
                  // The handshake proved the caller holds a certificate of our CA: it is a peer.
                  new ApiHandler(core, -1, true));
            }
          })
          .bind(address)
          .sync()
          .channel();
      return new TlsListener(group, server, (InetSocketAddress) server.localAddress());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully();
      throw new IOException("interrupted while binding " + address, e);
    } catch (RuntimeException e) {
      group.shutdownGracefully();
      throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
    }
  }

  /** The bound address (with the actual port when 0 was asked for). */
  public InetSocketAddress address() {
    return address;
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Refused handshakes are logged once, then the connection is closed by the SslHandler. */
  private static final class HandshakeLog extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
        LOG.log(Level.INFO, "refused a TLS peer " + ctx.channel().remoteAddress() + ": " + done.cause().getMessage());
        ctx.close();
      }
      super.userEventTriggered(ctx, evt);
    }
  }
}
