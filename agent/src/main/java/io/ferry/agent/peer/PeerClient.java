package io.ferry.agent.peer;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTPS client of peer daemons, with mutual TLS: presents this daemon's certificate and trusts
 * only peers whose certificate chains to the configured CA and names the host dialled. One
 * connection per request (peer calls are few and each is slow on the QEMU side), so no pool.
 */
public final class PeerClient implements AutoCloseable {
  /** A peer's answer is small JSON; anything bigger is not a ferry daemon. */
  private static final int MAX_REPLY_BYTES = 1024 * 1024;
  private static final int CONNECT_TIMEOUT_MS = 10_000;

  private final SslContext ssl;
  private final EventLoopGroup group;

  public PeerClient(SslContext ssl) {
    this.ssl = ssl;
    this.group = new MultiThreadIoEventLoopGroup(
        1, new DefaultThreadFactory("ferry-peer-client", true), EpollIoHandler.newFactory());
  }

  /**
   * Sends one request to the agent at {@code agent} ({@code https://host:port}); completes with
   * its answer (whatever the status), or fails with an {@link IOException} (connection, TLS) or a
   * {@link TimeoutException} after {@code timeout}.
   */
  public CompletableFuture<PeerReply> send(URI agent, HttpMethod method, String path, byte[] json, Duration timeout) {
    CompletableFuture<PeerReply> reply = new CompletableFuture<>();
    String host = agent.getHost();
    int port = agent.getPort();
    new Bootstrap()
        .group(group)
        .channel(EpollSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(
                ssl.newHandler(ch.alloc(), bareHost(host), port),
                new HttpClientCodec(),
                new HttpObjectAggregator(MAX_REPLY_BYTES),
                new ReplyHandler(reply, agent));
          }
        })
        .connect(bareHost(host), port)
        .addListener(connected -> {
          if (!connected.isSuccess()) {
            reply.completeExceptionally(new IOException(
                "cannot connect to the peer agent " + agent + ": " + connected.cause().getMessage(), connected.cause()));
            return;
          }
          Channel ch = ((io.netty.channel.ChannelFuture) connected).channel();
          ch.writeAndFlush(request(host, port, method, path, json));
          reply.whenComplete((r, e) -> ch.close());
        });
    return reply.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(error ->
        CompletableFuture.failedFuture(error instanceof TimeoutException
            ? new TimeoutException(method + " " + agent + path + " got no answer within " + timeout)
            : error));
  }

  private static FullHttpRequest request(String host, int port, HttpMethod method, String path, byte[] json) {
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path,
        json == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json));
    req.headers().set(HttpHeaderNames.HOST, host + ":" + port);
    req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    req.headers().set(HttpHeaderNames.CONTENT_LENGTH, json == null ? 0 : json.length);
    if (json != null) {
      req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    }
    return req;
  }

  /** {@code [::1]} as URI hosts spell IPv6 addresses, without the brackets sockets want. */
  private static String bareHost(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final class ReplyHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final CompletableFuture<PeerReply> reply;
    private final URI agent;

    ReplyHandler(CompletableFuture<PeerReply> reply, URI agent) {
      this.reply = reply;
      this.agent = agent;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      reply.complete(new PeerReply(response.status().code(), ByteBufUtil.getBytes(response.content())));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // No-op if the reply came; otherwise the peer (or the TLS handshake) hung up on us.
      reply.completeExceptionally(new IOException("the peer agent " + agent + " closed the connection without an answer"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      reply.completeExceptionally(new IOException("talking to the peer agent " + agent + ": " + rootMessage(cause), cause));
      ctx.close();
    }

    private static String rootMessage(Throwable t) {
      Throwable c = t;
      while (c.getCause() != null && c.getCause() != c) {
        c = c.getCause();
      }
      return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
  }
}
