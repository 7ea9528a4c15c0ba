package io.ferry.vfio.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Request encoding against the uapi layouts, and VF-list decoding of a hand-built reply. */
class LinkMessagesTest {

  @Test
  void getLinkByNameIsHeaderIfinfomsgNameAndVfFilter() {
    byte[] bytes = LinkMessages.getLinkByName(1, "lo").encode();

    // nlmsghdr(len 48, RTM_GETLINK, NLM_F_REQUEST, seq 1, pid 0), ifinfomsg(all zero),
    // IFLA_IFNAME "lo\0" padded to 8, IFLA_EXT_MASK RTEXT_FILTER_VF.
    assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(
        "30000000" + "1200" + "0100" + "01000000" + "00000000"
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "0700" + "0300" + "6c6f0000"
            + "0800" + "1d00" + "01000000");
  }

  @Test
  void setVfNestsEachSettingInsideVfInfoList() {
    VfChange change = new VfChange(3, Optional.of("52:54:00:aa:bb:cc"), OptionalInt.of(100), 2,
        Optional.of(false), Optional.of(true), OptionalInt.of(2));
    NetlinkMessage message = LinkMessages.setVf(7, 42, change);

    assertThat(message.type()).isEqualTo(Rtnl.RTM_SETLINK);
    assertThat(message.flags()).isEqualTo(Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK);
    NetlinkMessage reparsed = NetlinkMessage.parseAll(message.encode()).get(0);
    assertThat(reparsed).isEqualTo(message);
    ByteBuffer payload = reparsed.payloadBuffer();
    assertThat(payload.getInt(4)).as("ifinfomsg.ifi_index").isEqualTo(42);
    List<NetlinkAttribute> top = NetlinkAttribute.parseAll(payload.position(Rtnl.IFINFOMSG_SIZE));
    assertThat(top).extracting(NetlinkAttribute::type).containsExactly(Rtnl.IFLA_VFINFO_LIST);
    List<NetlinkAttribute> info = top.get(0).children();
    assertThat(info).extracting(NetlinkAttribute::type).containsExactly(Rtnl.IFLA_VF_INFO);
    List<NetlinkAttribute> settings = info.get(0).children();
    assertThat(settings).extracting(NetlinkAttribute::type).containsExactly(
        Rtnl.IFLA_VF_MAC, Rtnl.IFLA_VF_VLAN, Rtnl.IFLA_VF_SPOOFCHK, Rtnl.IFLA_VF_TRUST, Rtnl.IFLA_VF_LINK_STATE);
    NetlinkAttribute mac = settings.get(0);
    assertThat(mac.value()).hasSize(36);
    assertThat(mac.buffer().getInt()).isEqualTo(3);
    assertThat(HexFormat.of().formatHex(mac.value(), 4, 10)).isEqualTo("525400aabbcc");
    ByteBuffer vlan = settings.get(1).buffer();
    assertThat(List.of(vlan.getInt(), vlan.getInt(), vlan.getInt())).containsExactly(3, 100, 2);
    assertThat(settings.get(2).buffer().getInt(4)).isZero();
    assertThat(settings.get(3).buffer().getInt(4)).isEqualTo(1);
    assertThat(settings.get(4).buffer().getInt(4)).isEqualTo(2);
  }

  @Test
  void emptyChangeWritesNoVfSetting() {
    VfChange nothing = new VfChange(0, Optional.empty(), OptionalInt.empty(), 0, Optional.empty(),
        Optional.empty(), OptionalInt.empty());
    NetlinkMessage message = LinkMessages.setVf(1, 2, nothing);
    List<NetlinkAttribute> top = NetlinkAttribute.parseAll(message.payloadBuffer().position(Rtnl.IFINFOMSG_SIZE));

    assertThat(nothing.isEmpty()).isTrue();
    assertThat(top.get(0).children().get(0).children()).isEmpty();
  }

  /**
   * A PF's RTM_NEWLINK with two VFs, built byte by byte from if_link.h's layouts (no SR-IOV
   * hardware was available to record one): the VF whose driver does not report spoof checking
   * says (__u32)-1, which must decode as "not reported".
   */
  @Test
  void vfListDecodesEachVfsSettings() {
    ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
    b.putInt(0).putShort((short) Rtnl.RTM_NEWLINK).putShort((short) 0).putInt(9).putInt(0);
    b.put((byte) 0).put((byte) 0).putShort((short) 1).putInt(5).putInt(0).putInt(0);
    attr(b, Rtnl.IFLA_IFNAME, "enp3s0f0\0".getBytes());
    attr(b, Rtnl.IFLA_ADDRESS, HexFormat.of().parseHex("3cfdfe000001"));
    attr(b, Rtnl.IFLA_NUM_VF, le(4).putInt(2).array());
    int listStart = b.position();
    b.putShort((short) 0).putShort((short) Rtnl.IFLA_VFINFO_LIST);
    vf(b, 0, "525400000010", 10, 1, 1, 0, 0);
    vf(b, 1, "000000000000", 0, 0, -1, -1, 2);
    b.putShort(listStart, (short) (b.position() - listStart));
    b.putInt(0, b.position());
    byte[] datagram = java.util.Arrays.copyOf(b.array(), b.position());

    LinkInfo pf = ((NetlinkReply.Link) LinkMessages.decode(NetlinkMessage.parseAll(datagram).get(0))).link();

    assertThat(pf.name()).isEqualTo("enp3s0f0");
    assertThat(pf.index()).isEqualTo(5);
    assertThat(pf.vfCount()).hasValue(2);
    assertThat(pf.vfs()).containsExactly(
        new VfInfo(0, "52:54:00:00:00:10", 10, 1, Optional.of(true), Optional.of(false), OptionalInt.of(0)),
        new VfInfo(1, "00:00:00:00:00:00", 0, 0, Optional.empty(), Optional.empty(), OptionalInt.of(2)));
  }

  @Test
  void macAddressesAreParsedStrictly() {
    assertThat(LinkMessages.parseMac("52:54:00:AA:bb:cc")).containsExactly(0x52, 0x54, 0, 0xaa, 0xbb, 0xcc);
    for (String bad : List.of("52:54:00:aa:bb", "52-54-00-aa-bb-cc", "52:54:00:aa:bb:cc:dd", "zz:54:00:aa:bb:cc", "")) {
      assertThatThrownBy(() -> LinkMessages.parseMac(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static void vf(ByteBuffer b, int vf, String mac, int vlan, int qos, int spoofchk, int trust, int link) {
    int start = b.position();
    b.putShort((short) 0).putShort((short) Rtnl.IFLA_VF_INFO);
    ByteBuffer macValue = le(36).putInt(vf).put(HexFormat.of().parseHex(mac));
    attr(b, Rtnl.IFLA_VF_MAC, macValue.array());
    attr(b, Rtnl.IFLA_VF_VLAN, le(12).putInt(vf).putInt(vlan).putInt(qos).array());
    attr(b, Rtnl.IFLA_VF_SPOOFCHK, le(8).putInt(vf).putInt(spoofchk).array());
    attr(b, Rtnl.IFLA_VF_LINK_STATE, le(8).putInt(vf).putInt(link).array());
    attr(b, Rtnl.IFLA_VF_TRUST, le(8).putInt(vf).putInt(trust).array());
    b.putShort(start, (short) (b.position() - start));
  }

  private static void attr(ByteBuffer b, int type, byte[] value) {
    b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
    while (b.position() % 4 != 0) {
      b.put((byte) 0);
    }
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.nativeOrder());
  }
}
