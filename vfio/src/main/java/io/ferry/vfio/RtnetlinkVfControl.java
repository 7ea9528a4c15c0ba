package io.ferry.vfio;

import io.ferry.vfio.nativeio.NetlinkSocket;
import io.ferry.vfio.netlink.LinkInfo;
import io.ferry.vfio.netlink.LinkMessages;
import io.ferry.vfio.netlink.NetlinkMessage;
import io.ferry.vfio.netlink.NetlinkReply;
import io.ferry.vfio.netlink.VfChange;
import io.ferry.vfio.netlink.VfInfo;
import io.ferry.vfio.nativeio.Errno;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link VfControl} over the kernel's rtnetlink: RTM_GETLINK / RTM_SETLINK on the PF. */
public final class RtnetlinkVfControl implements VfControl {
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(5);
  private final AtomicInteger sequence = new AtomicInteger(1);

  /** RTM_GETLINK of one interface by name, VF list included. */
  public LinkInfo getLink(String interfaceName) throws IOException {
    int seq = sequence.getAndIncrement();
    NetlinkReply reply = exchange(LinkMessages.getLinkByName(seq, interfaceName));
    if (reply instanceof NetlinkReply.Link link) {
      return link.link();
    }
    throw failure("RTM_GETLINK " + interfaceName, reply);
  }

  @Override
  public VfInfo read(String pfInterface, int vf) throws IOException {
    LinkInfo pf = getLink(pfInterface);
    return pf.vf(vf).orElseThrow(() -> new IOException(
        pfInterface + " reports no VF " + vf + " (it reports " + pf.vfs().size() + " VFs)"));
  }

  @Override
  public void apply(String pfInterface, VfChange change) throws IOException {
    if (change.isEmpty()) {
      return;
    }
    LinkInfo pf = getLink(pfInterface);
    NetlinkReply reply = exchange(LinkMessages.setVf(sequence.getAndIncrement(), pf.index(), change));
    if (!(reply instanceof NetlinkReply.Ack)) {
      throw failure("RTM_SETLINK " + pfInterface + " vf " + change.vf(), reply);
    }
  }

  private static NetlinkReply exchange(NetlinkMessage request) throws IOException {
    try (NetlinkSocket socket = NetlinkSocket.openRoute(REPLY_TIMEOUT)) {
      socket.send(request.encode());
      // The kernel answers a non-dump request with one datagram; skip anything not ours.
      while (true) {
        for (NetlinkMessage message : NetlinkMessage.parseAll(socket.receive())) {
          if (message.sequence() == request.sequence()) {
            return LinkMessages.decode(message);
          }
        }
      }
    }
  }

  private static IOException failure(String what, NetlinkReply reply) {
    if (reply instanceof NetlinkReply.Failure f) {
      return new IOException(what + " refused by the kernel: " + Errno.name(f.errno()));
    }
    return new IOException(what + ": unexpected reply " + reply);
  }
}
