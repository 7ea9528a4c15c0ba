package io.ferry.vfio.nativeio;

import com.sun.jna.Memory;

/**
 * The VFIO ioctls ferry issues, with numbers and struct layouts from the kernel's
 * include/uapi/linux/vfio.h: {@code VFIO_TYPE} is ';' and {@code VFIO_BASE} 100, and these are
 * {@code _IO(VFIO_TYPE, VFIO_BASE + n)}, i.e. no direction or size bits.
 */
public final class VfioIoctls {
  private VfioIoctls() {}

  private static final int VFIO_TYPE = ';';
  private static final int VFIO_BASE = 100;

  public static final long VFIO_GET_API_VERSION = io(0);
  public static final long VFIO_CHECK_EXTENSION = io(1);
  public static final long VFIO_GROUP_GET_STATUS = io(3);

  /** The only API version the kernel has ever reported. */
  public static final int VFIO_API_VERSION = 0;
  public static final int VFIO_TYPE1_IOMMU = 1;
  public static final int VFIO_TYPE1v2_IOMMU = 3;
  public static final int VFIO_GROUP_FLAGS_VIABLE = 1;
  public static final int VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;

  private static long io(int number) {
    return ((long) VFIO_TYPE << 8) | (VFIO_BASE + number);
  }

  /** VFIO_GET_API_VERSION on an open /dev/vfio/vfio. */
  public static int apiVersion(NativeFile container) throws NativeCallException {
    return container.ioctl(VFIO_GET_API_VERSION, 0);
  }

  /** VFIO_CHECK_EXTENSION on an open /dev/vfio/vfio: positive when supported. */
  public static int checkExtension(NativeFile container, int extension) throws NativeCallException {
    return container.ioctl(VFIO_CHECK_EXTENSION, extension);
  }

  /** VFIO_GROUP_GET_STATUS on an open /dev/vfio/N: the flags of struct vfio_group_status. */
  public static int groupStatusFlags(NativeFile group) throws NativeCallException {
    // struct vfio_group_status { __u32 argsz; __u32 flags; }
    try (Memory status = new Memory(8)) {
      status.setInt(0, 8);
      status.setInt(4, 0);
      group.ioctl(VFIO_GROUP_GET_STATUS, status);
      return status.getInt(4);
    }
  }
}
