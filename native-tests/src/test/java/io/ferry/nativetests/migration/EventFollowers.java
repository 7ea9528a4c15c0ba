package io.ferry.nativetests.migration;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * {@code count} subscribers of {@code GET /v1/events}, each its own connection, all read by one
 * Netty event loop: what the daemon serves is the same as with a thread per subscriber, but the
 * harness does not wake a hundred threads for every event on the cores the migrations need.
 * Counts the lines {@code counted} accepts; a stream that is not a 200, carries a drop notice,
 * ends or breaks before {@link #close()} is an error.
 */
final class EventFollowers implements AutoCloseable {
  private final Path socket;
  private final int count;
  private final Predicate<String> counted;
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("event-followers", true), EpollIoHandler.newFactory());
  private final AtomicLong linesCounted = new AtomicLong();
  private final List<Follower> followers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicInteger errors = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
  private volatile boolean leaving;

  EventFollowers(Path socket, int count, Predicate<String> counted) {
    this.socket = socket;
    this.count = count;
    this.counted = counted;
  }

  /** Connects every subscriber and sends its request; the daemon's metrics tell when all are in. */
  void start() throws InterruptedException {
    List<ChannelFuture> connected = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      connected.add(new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new Follower());
            }
          })
          .connect(new DomainSocketAddress(socket.toString())));
    }
    for (ChannelFuture f : connected) {
      f.sync();
    }
  }

  /** CPU time this harness's reader thread has used so far (it stands in for the subscribers' hosts). */
  double cpuSeconds() throws Exception {
    long id = group.next().submit(() -> Thread.currentThread().getId()).get();
    return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(id) / 1e9;
  }

  /** The fewest lines any subscriber has read so far (every line, counted or not). */
  long fewestLinesRead() {
    return followers.size() < count ? 0 : followers.stream().mapToLong(f -> f.lines.get()).min().orElse(0);
  }

  long counted() {
    return linesCounted.get();
  }

  int errors() {
    return errors.get();
  }

  List<String> firstErrors() {
    return List.copyOf(firstErrors);
  }

  /** Disconnects every subscriber (not counted as errors). */
  @Override
  public void close() {
    leaving = true;
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private void error(String what) {
    if (errors.incrementAndGet() <= 5) {
      firstErrors.add(what);
    }
  }

  private final class Follower extends SimpleChannelInboundHandler<HttpObject> {
    private final StringBuilder partial = new StringBuilder();
    private final AtomicLong lines = new AtomicLong();
    private boolean done;

    Follower() {
      followers.add(this);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/events");
      request.headers().set(HttpHeaderNames.HOST, "localhost");
      ctx.writeAndFlush(request);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpResponse head && head.status().code() != 200) {
        error("GET /v1/events -> " + head.status());
      }
      if (msg instanceof HttpContent content) {
        partial.append(content.content().toString(StandardCharsets.UTF_8));
        for (int nl; (nl = partial.indexOf("\n")) >= 0; ) {
          line(partial.substring(0, nl));
          partial.delete(0, nl + 1);
        }
      }
      if (msg instanceof LastHttpContent) {
        end();
      }
    }

    private void line(String line) {
      lines.incrementAndGet();
      if (line.contains("subscriber_dropped")) {
        error("dropped: " + line);
      } else if (counted.test(line)) {
        linesCounted.incrementAndGet();
      }
    }

    private void end() {
      if (!done) {
        done = true;
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!done && !leaving) {
        error("stream closed before its end");
        end();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      error("stream failed: " + cause);
      ctx.close();
    }
  }
}
