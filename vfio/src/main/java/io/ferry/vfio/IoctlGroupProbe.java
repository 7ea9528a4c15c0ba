package io.ferry.vfio;

import io.ferry.vfio.nativeio.NativeFile;
import io.ferry.vfio.nativeio.VfioIoctls;
import java.io.IOException;

/**
 * Opens {@code /dev/vfio/N} and {@code /dev/vfio/vfio}, asks VFIO_GROUP_GET_STATUS,
 * VFIO_GET_API_VERSION and VFIO_CHECK_EXTENSION(TYPE1), and closes both again so that QEMU can
 * open the group afterwards (a group can be open only once).
 */
public final class IoctlGroupProbe implements GroupProbe {
  private final String devVfio;

  /** @param devVfio the directory holding the VFIO character devices, normally /dev/vfio */
  public IoctlGroupProbe(String devVfio) {
    this.devVfio = devVfio;
  }

  @Override
  public GroupStatus probe(int group) throws IOException {
    int flags;
    try (NativeFile groupFile = NativeFile.openReadWrite(devVfio + "/" + group)) {
      flags = VfioIoctls.groupStatusFlags(groupFile);
    }
    try (NativeFile container = NativeFile.openReadWrite(devVfio + "/vfio")) {
      int version = VfioIoctls.apiVersion(container);
      boolean type1 =
          VfioIoctls.checkExtension(container, VfioIoctls.VFIO_TYPE1_IOMMU) > 0
              || VfioIoctls.checkExtension(container, VfioIoctls.VFIO_TYPE1v2_IOMMU) > 0;
      return new GroupStatus((flags & VfioIoctls.VFIO_GROUP_FLAGS_VIABLE) != 0, version, type1);
    }
  }
}
