package io.ferry.qmp.transport;

import io.ferry.qmp.QmpException;
import io.ferry.qmp.transport.nativeio.ScmRights;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Writes one frame with a descriptor attached via sendmsg, on the channel's event loop, after every
 * byte Netty has queued before it, so frames never interleave. Any tail the socket did not take at
 * once continues through Netty as ordinary bytes (the descriptor already went with the head).
 */
final class FdPassingWriter {
  private static final int EAGAIN = 11;

  private FdPassingWriter() {}

  /**
   * Must be called on {@code channel}'s event loop. Takes ownership of {@code frame}. Gives up,
   * sending nothing, once {@code abandoned} says the command no longer wants to go out (its
   * deadline passed while the socket was full).
   */
  static CompletableFuture<Void> write(
      Channel channel, ByteBuf frame, int fd, BooleanSupplier abandoned) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    attempt(channel, frame, fd, abandoned, done);
    return done;
  }

  private static void attempt(
      Channel channel,
      ByteBuf frame,
      int fd,
      BooleanSupplier abandoned,
      CompletableFuture<Void> done) {
    if (abandoned.getAsBoolean()) {
      frame.release();
      done.completeExceptionally(new QmpException("fd command abandoned before it could be sent"));
      return;
    }
    if (!channel.isActive()) {
      frame.release();
      done.completeExceptionally(new QmpException("channel closed before the fd could be sent"));
      return;
    }
    ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
    if (pending != null && pending.totalPendingWriteBytes() > 0) {
      // Earlier frames still queued: send ours only once they are out, to keep the byte order.
      channel
          .writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(f -> channel.eventLoop().execute(() -> attempt(channel, frame, fd, abandoned, done)));
      return;
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(frame.readableBytes());
    frame.getBytes(frame.readerIndex(), bytes);
    bytes.flip();
    int sent = ScmRights.send(((EpollDomainSocketChannel) channel).fd().intValue(), bytes, fd);
    if (sent == -EAGAIN) {
      // The peer is not reading and the socket buffer is full; the kernel offers no writability
      // event we could hook here without Netty, so retry shortly (the command's deadline bounds it).
      channel.eventLoop().schedule(() -> attempt(channel, frame, fd, abandoned, done), 1, TimeUnit.MILLISECONDS);
      return;
    }
    if (sent < 0) {
      frame.release();
      done.completeExceptionally(new QmpException("sendmsg with SCM_RIGHTS failed: errno " + -sent));
      return;
    }
    frame.skipBytes(sent);
    if (frame.isReadable()) {
      channel.writeAndFlush(frame);
    } else {
      frame.release();
    }
    done.complete(null);
  }
}
