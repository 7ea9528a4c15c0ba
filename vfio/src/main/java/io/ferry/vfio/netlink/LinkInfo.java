package io.ferry.vfio.netlink;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** What an RTM_NEWLINK reply says about one link, restricted to what ferry reads. */
public record LinkInfo(
    int index, String name, Optional<String> mac, OptionalInt mtu, OptionalInt vfCount, List<VfInfo> vfs) {
  public LinkInfo {
    vfs = List.copyOf(vfs);
  }

  public Optional<VfInfo> vf(int index) {
    return vfs.stream().filter(v -> v.vf() == index).findFirst();
  }
}
