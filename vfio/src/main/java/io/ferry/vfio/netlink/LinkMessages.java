package io.ferry.vfio.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Encodes ferry's RTM_GETLINK / RTM_SETLINK requests and decodes the kernel's replies. */
public final class LinkMessages {
  private LinkMessages() {}

  /** RTM_GETLINK for one interface by name, asking for the VF list (RTEXT_FILTER_VF). */
  public static NetlinkMessage getLinkByName(int sequence, String interfaceName) {
    if (interfaceName.isEmpty() || interfaceName.length() > 15 || interfaceName.contains("/")) {
      throw new IllegalArgumentException("not an interface name: '" + interfaceName + "'");
    }
    byte[] attributes =
        new AttributeWriter()
            .putString(Rtnl.IFLA_IFNAME, interfaceName)
            .putU32(Rtnl.IFLA_EXT_MASK, Rtnl.RTEXT_FILTER_VF)
            .toByteArray();
    return new NetlinkMessage(Rtnl.RTM_GETLINK, Rtnl.NLM_F_REQUEST, sequence, 0, withIfinfo(0, attributes));
  }

  /** RTM_SETLINK on the PF changing one VF's settings; the kernel acknowledges it (NLM_F_ACK). */
  public static NetlinkMessage setVf(int sequence, int pfIndex, VfChange change) {
    byte[] attributes =
        new AttributeWriter()
            .nest(Rtnl.IFLA_VFINFO_LIST, list -> list.nest(Rtnl.IFLA_VF_INFO, vf -> writeVf(vf, change)))
            .toByteArray();
    return new NetlinkMessage(
        Rtnl.RTM_SETLINK, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK, sequence, 0, withIfinfo(pfIndex, attributes));
  }

  private static void writeVf(AttributeWriter out, VfChange change) {
    change.mac().ifPresent(mac -> {
      ByteBuffer b = le(4 + Rtnl.VF_MAC_ARRAY).putInt(change.vf());
      b.put(parseMac(mac));
      out.put(Rtnl.IFLA_VF_MAC, b.array());
    });
    change.vlan().ifPresent(vlan ->
        out.put(Rtnl.IFLA_VF_VLAN, le(12).putInt(change.vf()).putInt(vlan).putInt(change.qos()).array()));
    change.spoofChecking().ifPresent(on ->
        out.put(Rtnl.IFLA_VF_SPOOFCHK, le(8).putInt(change.vf()).putInt(on ? 1 : 0).array()));
    change.trusted().ifPresent(on ->
        out.put(Rtnl.IFLA_VF_TRUST, le(8).putInt(change.vf()).putInt(on ? 1 : 0).array()));
    change.linkState().ifPresent(state ->
        out.put(Rtnl.IFLA_VF_LINK_STATE, le(8).putInt(change.vf()).putInt(state).array()));
  }

  /** Decodes one message of a reply. */
  public static NetlinkReply decode(NetlinkMessage message) {
    return switch (message.type()) {
      case Rtnl.NLMSG_ERROR -> {
        int error = message.payloadBuffer().getInt();
        yield error == 0 ? new NetlinkReply.Ack(message.sequence()) : new NetlinkReply.Failure(message.sequence(), -error);
      }
      case Rtnl.RTM_NEWLINK -> new NetlinkReply.Link(message.sequence(), parseLink(message));
      default -> new NetlinkReply.Other(message.sequence(), message.type());
    };
  }

  static LinkInfo parseLink(NetlinkMessage message) {
    ByteBuffer payload = message.payloadBuffer();
    if (payload.remaining() < Rtnl.IFINFOMSG_SIZE) {
      throw new NetlinkFormatException("RTM_NEWLINK shorter than struct ifinfomsg: " + payload.remaining());
    }
    int index = payload.getInt(4);
    List<NetlinkAttribute> attrs = NetlinkAttribute.parseAll(payload.position(Rtnl.IFINFOMSG_SIZE));
    String name = NetlinkAttribute.first(attrs, Rtnl.IFLA_IFNAME).map(NetlinkAttribute::string).orElse("");
    Optional<String> mac = NetlinkAttribute.first(attrs, Rtnl.IFLA_ADDRESS).map(a -> formatMac(a.value(), a.value().length));
    OptionalInt mtu = optionalU32(attrs, Rtnl.IFLA_MTU);
    OptionalInt vfCount = optionalU32(attrs, Rtnl.IFLA_NUM_VF);
    List<VfInfo> vfs = new ArrayList<>();
    Optional<NetlinkAttribute> list = NetlinkAttribute.first(attrs, Rtnl.IFLA_VFINFO_LIST);
    if (list.isPresent()) {
      int macLength = mac.map(m -> (m.length() + 1) / 3).orElse(6);
      for (NetlinkAttribute info : list.get().children()) {
        if (info.type() == Rtnl.IFLA_VF_INFO) {
          vfs.add(parseVf(info.children(), macLength));
        }
      }
    }
    return new LinkInfo(index, name, mac, mtu, vfCount, vfs);
  }

  private static VfInfo parseVf(List<NetlinkAttribute> attrs, int macLength) {
    NetlinkAttribute macAttr = NetlinkAttribute.first(attrs, Rtnl.IFLA_VF_MAC)
        .orElseThrow(() -> new NetlinkFormatException("IFLA_VF_INFO without IFLA_VF_MAC"));
    ByteBuffer m = macAttr.buffer();
    int vf = m.getInt();
    byte[] raw = new byte[Rtnl.VF_MAC_ARRAY];
    m.get(raw, 0, Math.min(m.remaining(), raw.length));
    int vlan = 0;
    int qos = 0;
    Optional<NetlinkAttribute> vlanAttr = NetlinkAttribute.first(attrs, Rtnl.IFLA_VF_VLAN);
    if (vlanAttr.isPresent()) {
      ByteBuffer v = vlanAttr.get().buffer();
      v.getInt();
      vlan = v.getInt();
      qos = v.getInt();
    }
    return new VfInfo(
        vf,
        formatMac(raw, macLength),
        vlan,
        qos,
        setting(attrs, Rtnl.IFLA_VF_SPOOFCHK).map(s -> s == 1),
        setting(attrs, Rtnl.IFLA_VF_TRUST).map(s -> s == 1),
        setting(attrs, Rtnl.IFLA_VF_LINK_STATE).map(OptionalInt::of).orElse(OptionalInt.empty()));
  }

  // struct { __u32 vf; __u32 setting; } where (__u32)-1 means the driver does not report it.
  private static Optional<Integer> setting(List<NetlinkAttribute> attrs, int type) {
    return NetlinkAttribute.first(attrs, type)
        .map(a -> a.buffer().getInt(4))
        .filter(s -> s != -1);
  }

  private static OptionalInt optionalU32(List<NetlinkAttribute> attrs, int type) {
    return NetlinkAttribute.first(attrs, type).map(a -> OptionalInt.of(a.u32())).orElse(OptionalInt.empty());
  }

  private static byte[] withIfinfo(int index, byte[] attributes) {
    // struct ifinfomsg: family AF_UNSPEC, pad, type, index, flags, change
    return le(Rtnl.IFINFOMSG_SIZE + attributes.length)
        .put((byte) 0).put((byte) 0).putShort((short) 0).putInt(index).putInt(0).putInt(0)
        .put(attributes)
        .array();
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
  }

  public static String formatMac(byte[] bytes, int length) {
    HexFormat hex = HexFormat.ofDelimiter(":");
    return hex.formatHex(bytes, 0, Math.min(length, bytes.length));
  }

  /** Parses {@code aa:bb:cc:dd:ee:ff}; refuses anything else. */
  public static byte[] parseMac(String mac) {
    if (!mac.matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")) {
      throw new IllegalArgumentException("not a MAC address: '" + mac + "'; expected aa:bb:cc:dd:ee:ff");
    }
    return HexFormat.ofDelimiter(":").parseHex(mac.toLowerCase());
  }
}
