package io.ferry.vfio.netlink;

/** The replies ferry expects to its rtnetlink requests. */
public sealed interface NetlinkReply {
  int sequence();

  /** NLMSG_ERROR with error 0: the request succeeded. */
  record Ack(int sequence) implements NetlinkReply {}

  /** NLMSG_ERROR with a negative errno. */
  record Failure(int sequence, int errno) implements NetlinkReply {}

  /** RTM_NEWLINK answering an RTM_GETLINK. */
  record Link(int sequence, LinkInfo link) implements NetlinkReply {}

  /** NLMSG_DONE or any other type ferry has no use for. */
  record Other(int sequence, int type) implements NetlinkReply {}
}
