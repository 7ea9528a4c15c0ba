package io.ferry.qmp.transport.nativeio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.posix.CmsgHdr;
import jnr.posix.MsgHdr;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * {@code sendmsg(2)} with one {@code SCM_RIGHTS} descriptor riding on real payload bytes. QEMU
 * takes the descriptor together with the command that names it, so the descriptor must travel
 * with that command's own bytes, never with a separate (NUL) byte. No policy here.
 */
public final class ScmRights {
  private static final int SOL_SOCKET = 1;
  private static final int SCM_RIGHTS = 1;
  private static final int MSG_NOSIGNAL = 0x4000;
  private static final int MSG_DONTWAIT = 0x40;

  private ScmRights() {}

  private static final class Posix {
    static final POSIX INSTANCE = POSIXFactory.getNativePOSIX();
  }

  /**
   * Sends as much of {@code payload} as the socket takes at once, with {@code fdToPass} attached
   * to its first byte, without blocking.
   *
   * @return bytes sent (≥ 1), or {@code -errno}
   */
  public static int send(int socketFd, ByteBuffer payload, int fdToPass) {
    POSIX posix = Posix.INSTANCE;
    MsgHdr message = posix.allocateMsgHdr();
    message.setIov(new ByteBuffer[] {payload});
    CmsgHdr control = message.allocateControl(Integer.BYTES);
    control.setLevel(SOL_SOCKET);
    control.setType(SCM_RIGHTS);
    ByteBuffer fd = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder());
    fd.putInt(0, fdToPass);
    control.setData(fd);
    int sent = posix.sendmsg(socketFd, message, MSG_NOSIGNAL | MSG_DONTWAIT);
    return sent >= 0 ? sent : -posix.errno();
  }
}
