package io.ferry.vfio;

import io.ferry.vfio.netlink.VfChange;
import io.ferry.vfio.netlink.VfInfo;
import java.io.IOException;

/** Reads and changes a VF's administrative settings through its PF's network interface. */
public interface VfControl {
  VfInfo read(String pfInterface, int vf) throws IOException;

  void apply(String pfInterface, VfChange change) throws IOException;
}
