package io.ferry.vfio.netlink;

import io.ferry.vfio.nativeio.NetlinkSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Records the kernel's replies used by {@link RecordedRepliesTest}: for each interface named on
 * the command line, the RTM_GETLINK request ferry sends and the raw reply datagram, as hex, into
 * src/test/resources/netlink/getlink-NAME.hex. Run it on a real kernel:
 * {@code java -cp vfio/target/classes:vfio/target/test-classes:JNA io.ferry.vfio.netlink.RecordRtnetlinkReplies DIR lo eth0}
 */
public final class RecordRtnetlinkReplies {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    for (int i = 1; i < args.length; i++) {
      String name = args[i];
      byte[] request = LinkMessages.getLinkByName(1, name).encode();
      try (NetlinkSocket socket = NetlinkSocket.openRoute(Duration.ofSeconds(2))) {
        socket.send(request);
        byte[] reply = socket.receive();
        Files.writeString(dir.resolve("getlink-" + name + ".hex"), HexFormat.of().formatHex(reply) + "\n");
        System.out.println(name + ": " + reply.length + " bytes");
      }
    }
    // What a VF-less kernel says to a VF change: the error reply to RTM_SETLINK with IFLA_VFINFO_LIST on lo.
    VfChange change = new VfChange(0, java.util.Optional.of("52:54:00:00:00:01"), java.util.OptionalInt.empty(), 0,
        java.util.Optional.empty(), java.util.Optional.empty(), java.util.OptionalInt.empty());
    try (NetlinkSocket socket = NetlinkSocket.openRoute(Duration.ofSeconds(2))) {
      socket.send(LinkMessages.setVf(2, 1, change).encode());
      byte[] reply = socket.receive();
      Files.writeString(dir.resolve("setvf-lo.hex"), HexFormat.of().formatHex(reply) + "\n");
      System.out.println("setvf lo: " + reply.length + " bytes");
    }
  }
}
