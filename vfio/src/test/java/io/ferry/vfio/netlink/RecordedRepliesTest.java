package io.ferry.vfio.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Decoding against replies recorded from a real kernel (this Debian 12 machine, kernel 6.1) with
 * {@link RecordRtnetlinkReplies}: RTM_GETLINK of lo and of a virtio NIC, and the error a VF-less
 * link gives to an RTM_SETLINK carrying IFLA_VFINFO_LIST.
 */
class RecordedRepliesTest {

  static byte[] recorded(String name) throws IOException {
    try (InputStream in = RecordedRepliesTest.class.getResourceAsStream("/netlink/" + name)) {
      return HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip());
    }
  }

  @Test
  void loopbackReplyDecodesToIndexOneNamedLoWithAZeroMac() throws IOException {
    List<NetlinkMessage> messages = NetlinkMessage.parseAll(recorded("getlink-lo.hex"));

    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).type()).isEqualTo(Rtnl.RTM_NEWLINK);
    assertThat(messages.get(0).sequence()).isEqualTo(1);
    NetlinkReply reply = LinkMessages.decode(messages.get(0));
    assertThat(reply).isInstanceOf(NetlinkReply.Link.class);
    LinkInfo lo = ((NetlinkReply.Link) reply).link();
    assertThat(lo.index()).isEqualTo(1);
    assertThat(lo.name()).isEqualTo("lo");
    assertThat(lo.mac()).contains("00:00:00:00:00:00");
    assertThat(lo.mtu()).hasValue(65536);
    assertThat(lo.vfs()).isEmpty();
  }

  @Test
  void nicReplyDecodesItsNameMacAndAnEmptyVfList() throws IOException {
    LinkInfo eth0 = ((NetlinkReply.Link) LinkMessages.decode(
        NetlinkMessage.parseAll(recorded("getlink-eth0.hex")).get(0))).link();

    assertThat(eth0.name()).isEqualTo("eth0");
    assertThat(eth0.index()).isGreaterThan(1);
    assertThat(eth0.mac()).contains("02:fc:00:00:00:01");
    assertThat(eth0.vfs()).isEmpty();
  }

  @Test
  void vfChangeOnAVfLessLinkIsRefusedWithEopnotsupp() throws IOException {
    List<NetlinkMessage> messages = NetlinkMessage.parseAll(recorded("setvf-lo.hex"));

    assertThat(messages).hasSize(1);
    assertThat(LinkMessages.decode(messages.get(0))).isEqualTo(new NetlinkReply.Failure(2, 95));
  }

  @Test
  void truncatedReplyIsAnErrorNotASilentlyShorterMessage() throws IOException {
    byte[] whole = recorded("getlink-lo.hex");
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 100);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> NetlinkMessage.parseAll(cut))
        .isInstanceOf(NetlinkFormatException.class).hasMessageContaining("claims");
  }
}
