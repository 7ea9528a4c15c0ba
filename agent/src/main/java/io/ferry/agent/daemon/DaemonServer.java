package io.ferry.agent.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The daemon's HTTP/1.1 server on a unix domain socket (mode 0660). Each connection's peer uid
 * comes from SO_PEERCRED and is checked against the {@link PeerPolicy}; a refused caller gets 403
 * on every request.
 */
public final class DaemonServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(DaemonServer.class.getName());
  // Past this much unsent output, an event stream's client counts as too slow (see EventStream).
  private static final WriteBufferWaterMark STREAM_BUFFER = new WriteBufferWaterMark(256 * 1024, 1024 * 1024);

  private final Path socket;
  private final EventLoopGroup group;
  private final Channel server;
  private final ChannelGroup connections;

  private DaemonServer(Path socket, EventLoopGroup group, Channel server, ChannelGroup connections) {
    this.socket = socket;
    this.group = group;
    this.server = server;
    this.connections = connections;
  }

  /**
   * Binds {@code socket} (creating its directory; replacing a stale socket file, refusing any other
   * file) and starts serving.
   */
  public static DaemonServer start(Path socket, DaemonCore core, PeerPolicy policy) throws IOException {
    Path abs = socket.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    if (Files.exists(abs)) {
      if (!"socket".equals(fileType(abs))) {
        throw new IOException(abs + " exists and is not a socket; not replacing it");
      }
      if (someoneListens(abs)) {
        throw new IOException("another daemon is listening on " + abs);
      }
      Files.delete(abs); // left over by a daemon that did not stop cleanly
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(
        1, new DefaultThreadFactory("ferry-api", true), EpollIoHandler.newFactory());
    // Every accepted connection, so that close() ends open event streams itself rather than
    // relying on the event loop's shutdown to get to them.
    ChannelGroup connections = new DefaultChannelGroup("ferry-api", group.next());
    try {
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(EpollServerDomainSocketChannel.class)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, STREAM_BUFFER)
          .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
            @Override
            protected void initChannel(EpollDomainSocketChannel ch) {
              connections.add(ch);
              int uid = peerUid(ch);
              ch.pipeline().addLast(
                  new HttpServerCodec(),
                  new CappedAggregator(RequestParser.MAX_BODY_BYTES),
                  new ApiHandler(core, uid, uid >= 0 && policy.allows(uid)));
            }
          })
          .bind(new DomainSocketAddress(abs.toString()))
          .sync()
          .channel();
      Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rw-rw----"));
      return new DaemonServer(abs, group, server, connections);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully();
      throw new IOException("interrupted while binding " + abs, e);
    } catch (RuntimeException | IOException e) {
      group.shutdownGracefully();
      throw e instanceof IOException io ? io : new IOException("cannot listen on " + abs + ": " + e.getMessage(), e);
    }
  }

  private static int peerUid(EpollDomainSocketChannel ch) {
    try {
      PeerCredentials cred = ch.peerCredentials();
      return cred.uid();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read the peer credentials of a connection: " + e);
      return -1; // unknown callers are refused
    }
  }

  private static boolean someoneListens(Path socket) {
    try (java.nio.channels.SocketChannel probe =
        java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  private static String fileType(Path p) throws IOException {
    Object mode = Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    return (((Integer) mode) & 0170000) == 0140000 ? "socket" : "other";
  }

  public Path socket() {
    return socket;
  }

  /** Stops listening, closes every connection, removes the socket file. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    connections.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot remove " + socket + ": " + e);
    }
  }
}
