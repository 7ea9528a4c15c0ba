package io.ferry.vfio.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.time.Duration;

/** A NETLINK_ROUTE socket: send one datagram to the kernel, receive one back. No policy. */
public final class NetlinkSocket implements AutoCloseable {
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_ROUTE = 0;
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVTIMEO = 20;
  private static final int SOCKADDR_NL_SIZE = 12;
  // A PF with many VFs answers RTM_GETLINK with a large VF list: leave room for it.
  private static final int RECEIVE_BUFFER = 1 << 18;

  private int fd;

  private NetlinkSocket(int fd) {
    this.fd = fd;
  }

  /** Opens and binds a route socket whose receive calls give up after {@code receiveTimeout}. */
  public static NetlinkSocket openRoute(Duration receiveTimeout) throws NativeCallException {
    int fd;
    try {
      fd = LibC.INSTANCE.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    } catch (LastErrorException e) {
      throw new NativeCallException("socket(AF_NETLINK, NETLINK_ROUTE)", e.getErrorCode(), e);
    }
    NetlinkSocket socket = new NetlinkSocket(fd);
    try (Memory address = kernelAddress(); Memory timeout = new Memory(16)) {
      LibC.INSTANCE.bind(fd, address, SOCKADDR_NL_SIZE);
      // struct timeval { long tv_sec; long tv_usec; }
      timeout.setLong(0, receiveTimeout.toSeconds());
      timeout.setLong(8, receiveTimeout.toMillisPart() * 1000L);
      LibC.INSTANCE.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
      return socket;
    } catch (LastErrorException e) {
      socket.close();
      throw new NativeCallException("bind/setsockopt on netlink socket", e.getErrorCode(), e);
    }
  }

  // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
  // with pid 0: the kernel as destination, or "assign me one" when binding.
  private static Memory kernelAddress() {
    Memory address = new Memory(SOCKADDR_NL_SIZE);
    address.clear();
    address.setShort(0, (short) AF_NETLINK);
    return address;
  }

  public void send(byte[] datagram) throws NativeCallException {
    try (Memory buffer = new Memory(datagram.length); Memory kernel = kernelAddress()) {
      buffer.write(0, datagram, 0, datagram.length);
      LibC.INSTANCE.sendto(fd, buffer, new NativeLong(datagram.length), 0, kernel, SOCKADDR_NL_SIZE);
    } catch (LastErrorException e) {
      throw new NativeCallException("sendto(netlink)", e.getErrorCode(), e);
    }
  }

  /** One datagram from the kernel; EAGAIN after the receive timeout. */
  public byte[] receive() throws NativeCallException {
    try (Memory buffer = new Memory(RECEIVE_BUFFER)) {
      long received = LibC.INSTANCE.recv(fd, buffer, new NativeLong(RECEIVE_BUFFER), 0).longValue();
      return buffer.getByteArray(0, (int) received);
    } catch (LastErrorException e) {
      throw new NativeCallException("recv(netlink)", e.getErrorCode(), e);
    }
  }

  @Override
  public void close() {
    if (fd >= 0) {
      int closing = fd;
      fd = -1;
      try {
        LibC.INSTANCE.close(closing);
      } catch (LastErrorException ignored) {
        // Nothing useful to do about a failed close of a socket we are done with.
      }
    }
  }
}
