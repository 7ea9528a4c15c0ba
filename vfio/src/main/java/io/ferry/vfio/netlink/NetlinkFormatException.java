package io.ferry.vfio.netlink;

/** Bytes that are not a well-formed netlink message. */
public final class NetlinkFormatException extends RuntimeException {
  public NetlinkFormatException(String message) {
    super(message);
  }
}
