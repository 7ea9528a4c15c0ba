package io.ferry.nativetests.migration;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A paced, open-loop load of API reads, as a manager's HTTP client makes them: a pool of
 * keep-alive connections on one Netty event loop, {@code rate} requests per second whatever the
 * answers' latency (a slot whose time has come waits for a free connection instead of being
 * skipped), each request's path chosen by its slot number. Latency is measured from the slot's
 * due time, so time spent queued behind a slow daemon counts (no coordinated omission). Every
 * answer that is not a 200, and every connection lost, is an error.
 *
 * <p>Open-loop on purpose: a closed loop of blocking clients (the earlier version of this check,
 * one connection per request) sends only as fast as the daemon answers, so while four TCG
 * migrations held both cores it fell to ~100 requests/s and stopped measuring the rate asked for.
 */
final class ApiLoad {
  /** What the load achieved; CPU figures are this generator's own (its event loop thread). */
  record Report(long requests, long errors, List<String> firstErrors, double seconds, double p50Ms, double p99Ms,
      double generatorCpuSeconds) {
    double rate() {
      return requests / seconds;
    }
  }

  private record Slot(long index, long dueNanos) {}

  private static final int MAX_RESPONSE_BYTES = 4 << 20;

  private final Path socket;
  private final int rate;
  private final int connections;
  private final IntFunction<String> pathOfSlot;
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("api-load", true), EpollIoHandler.newFactory());
  private final EventLoop loop = group.next();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
  // Touched on the event loop only.
  private final ArrayDeque<Slot> due = new ArrayDeque<>();
  private final ArrayDeque<Connection> idle = new ArrayDeque<>();
  private long[] latencies = new long[1 << 16];
  private int latencyCount;
  private long nextSlot;
  private boolean stopping;
  private int inFlight;
  private long startNanos;
  private long loopThreadId = -1;
  private ScheduledFuture<?> pacer;
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  ApiLoad(Path socket, int rate, int connections, IntFunction<String> pathOfSlot) {
    this.socket = socket;
    this.rate = rate;
    this.connections = connections;
    this.pathOfSlot = pathOfSlot;
  }

  /** Requests answered so far (for the rate over a window). */
  long completed() {
    return requests.get();
  }

  /** Opens the connections, then paces slots every millisecond from now on. */
  void start() throws Exception {
    List<ChannelFuture> opened = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      opened.add(connect());
    }
    for (ChannelFuture f : opened) {
      f.sync();
    }
    loop.submit(() -> {
      loopThreadId = Thread.currentThread().getId();
      startNanos = System.nanoTime();
      pacer = loop.scheduleAtFixedRate(this::pace, 0, 1, TimeUnit.MILLISECONDS);
    }).sync();
  }

  private ChannelFuture connect() {
    return new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            Connection c = new Connection(ch);
            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES), c);
          }
        })
        .connect(new DomainSocketAddress(socket.toString()));
  }

  /** Queues every slot whose time has come, then hands queued slots to idle connections. */
  private void pace() {
    long now = System.nanoTime();
    double period = 1e9 / rate;
    while (!stopping) {
      long dueAt = startNanos + (long) (nextSlot * period);
      if (dueAt > now) {
        break;
      }
      due.add(new Slot(nextSlot++, dueAt));
    }
    dispatch();
  }

  private void dispatch() {
    while (!due.isEmpty() && !idle.isEmpty()) {
      idle.poll().send(due.poll());
    }
  }

  private void answered(Connection c, Slot slot, FullHttpResponse response) {
    inFlight--;
    if (latencyCount == latencies.length) {
      latencies = Arrays.copyOf(latencies, latencies.length * 2);
    }
    latencies[latencyCount++] = System.nanoTime() - slot.dueNanos();
    if (response.status().code() != 200) {
      error(c.path + " -> " + response.status() + " " + response.content().toString(StandardCharsets.UTF_8));
    }
    requests.incrementAndGet();
    idle.add(c);
    dispatch();
    drainedYet();
  }

  /** Once stopping, completes {@link #drained} when nothing is owed any more (on the loop). */
  private void drainedYet() {
    if (stopping && inFlight == 0 && due.isEmpty()) {
      drained.complete(null);
    }
  }

  private void error(String what) {
    if (errors.incrementAndGet() <= 5) {
      firstErrors.add(what);
    }
  }

  /**
   * Stops pacing, waits for the answers still owed (or counts them as errors after 30 s), and
   * closes the connections.
   */
  Report stop() throws Exception {
    long[] window = new long[2];
    loop.submit(() -> {
      stopping = true;
      pacer.cancel(false);
      window[0] = System.nanoTime() - startNanos;
    }).sync();
    loop.execute(this::drainedYet);
    try {
      drained.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      // counted below
    }
    int owed = loop.submit(() -> inFlight + due.size()).get();
    for (int i = 0; i < owed; i++) {
      error("no answer within 30 s of the load's end");
    }
    double cpu = ManagementFactory.getThreadMXBean().getThreadCpuTime(loopThreadId) / 1e9;
    long[] all = loop.submit(() -> Arrays.copyOf(latencies, latencyCount)).get();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    Arrays.sort(all);
    double p50 = all.length == 0 ? 0 : all[all.length / 2] / 1e6;
    double p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;
    return new Report(requests.get(), errors.get(), List.copyOf(firstErrors), window[0] / 1e9, p50, p99, cpu);
  }

  /** One keep-alive connection: one request at a time (no pipelining, as most clients do). */
  private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final Channel channel;
    private Slot slot;
    private String path;

    Connection(Channel channel) {
      this.channel = channel;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      idle.add(this);
      dispatch();
    }

    void send(Slot s) {
      slot = s;
      path = pathOfSlot.apply((int) s.index());
      inFlight++;
      FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
      request.headers().set(HttpHeaderNames.HOST, "localhost");
      channel.writeAndFlush(request);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      Slot answeredSlot = slot;
      slot = null;
      answered(this, answeredSlot, response);
      if (!HttpUtil.isKeepAlive(response)) {
        ctx.close(); // channelInactive replaces it
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      idle.remove(this);
      if (slot != null) {
        inFlight--;
        error(path + " -> connection closed before the answer");
        slot = null;
        drainedYet();
      }
      if (!stopping) {
        connect(); // keep the pool at its size
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      error(path + " -> " + cause);
      ctx.close();
    }
  }
}
