package io.ferry.vfio.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One netlink message (struct nlmsghdr and its payload). */
public record NetlinkMessage(int type, int flags, int sequence, int portId, byte[] payload) {

  /** Splits what one recv(2) returned into messages. */
  public static List<NetlinkMessage> parseAll(byte[] datagram) {
    ByteBuffer in = ByteBuffer.wrap(datagram).order(ByteOrder.nativeOrder());
    List<NetlinkMessage> out = new ArrayList<>();
    while (in.remaining() >= Rtnl.NLMSG_HEADER_SIZE) {
      int start = in.position();
      int length = in.getInt();
      if (length < Rtnl.NLMSG_HEADER_SIZE || start + length > in.limit()) {
        throw new NetlinkFormatException("netlink message at offset " + start + " claims " + length
            + " bytes, datagram has " + (in.limit() - start));
      }
      int type = Short.toUnsignedInt(in.getShort());
      int flags = Short.toUnsignedInt(in.getShort());
      int seq = in.getInt();
      int pid = in.getInt();
      byte[] payload = new byte[length - Rtnl.NLMSG_HEADER_SIZE];
      in.get(payload);
      out.add(new NetlinkMessage(type, flags, seq, pid, payload));
      in.position(Math.min(in.limit(), start + NetlinkAttribute.align(length)));
    }
    return out;
  }

  /** The message as the kernel expects it on the wire. */
  public byte[] encode() {
    int length = Rtnl.NLMSG_HEADER_SIZE + payload.length;
    ByteBuffer out = ByteBuffer.allocate(NetlinkAttribute.align(length)).order(ByteOrder.nativeOrder());
    out.putInt(length).putShort((short) type).putShort((short) flags).putInt(sequence).putInt(portId).put(payload);
    return out.array();
  }

  public ByteBuffer payloadBuffer() {
    return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NetlinkMessage m && m.type == type && m.flags == flags && m.sequence == sequence
        && m.portId == portId && Arrays.equals(m.payload, payload);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(payload) * 31 + type;
  }

  @Override
  public String toString() {
    return "NetlinkMessage[type=" + type + ", flags=0x" + Integer.toHexString(flags) + ", seq=" + sequence
        + ", payload=" + payload.length + " bytes]";
  }
}
