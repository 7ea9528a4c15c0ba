package io.ferry.vfio.netlink;

/** Numbers from the kernel's uapi headers (netlink.h, rtnetlink.h, if_link.h) that ferry uses. */
public final class Rtnl {
  private Rtnl() {}

  // netlink.h
  public static final int NLMSG_HEADER_SIZE = 16;
  public static final int NLMSG_ERROR = 2;
  public static final int NLMSG_DONE = 3;
  public static final int NLM_F_REQUEST = 0x1;
  public static final int NLM_F_ACK = 0x4;
  public static final int NLA_F_NESTED = 1 << 15;
  public static final int NLA_F_NET_BYTEORDER = 1 << 14;
  public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

  // rtnetlink.h
  public static final int RTM_NEWLINK = 16;
  public static final int RTM_GETLINK = 18;
  public static final int RTM_SETLINK = 19;
  public static final int IFINFOMSG_SIZE = 16;
  public static final int RTEXT_FILTER_VF = 1;

  // if_link.h: link attributes
  public static final int IFLA_ADDRESS = 1;
  public static final int IFLA_IFNAME = 3;
  public static final int IFLA_MTU = 4;
  public static final int IFLA_NUM_VF = 21;
  public static final int IFLA_VFINFO_LIST = 22;
  public static final int IFLA_EXT_MASK = 29;

  // if_link.h: inside IFLA_VFINFO_LIST
  public static final int IFLA_VF_INFO = 1;
  public static final int IFLA_VF_MAC = 1;
  public static final int IFLA_VF_VLAN = 2;
  public static final int IFLA_VF_SPOOFCHK = 4;
  public static final int IFLA_VF_LINK_STATE = 5;
  public static final int IFLA_VF_TRUST = 9;

  /** struct ifla_vf_mac carries the address in a 32-byte array whatever the link type. */
  public static final int VF_MAC_ARRAY = 32;
}
