package io.ferry.vfio.sysfs;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The one way ferry's vfio code touches the kernel's file system: sysfs attributes, driver links
 * and {@code /dev/vfio}. Paths are written as the kernel names them ({@code /sys/bus/pci/...}) and
 * resolved under a configurable root, so the same code runs against the real {@code /} or a fake
 * kernel built in a temporary directory.
 */
public interface SysFs {

  /** Whether the path exists (a dangling symlink counts as existing). */
  boolean exists(String path);

  /** The attribute's content without the trailing newline; empty when the attribute is absent. */
  Optional<String> read(String path) throws IOException;

  /** Writes one value to an attribute, as {@code echo -n value > path} would. */
  void write(String path, String value) throws SysFsWriteException;

  /**
   * The last path component of a symlink's target ({@code driver} → {@code vfio-pci}, {@code
   * iommu_group} → {@code 12}, {@code physfn} → {@code 0000:03:00.0}); empty when there is no link.
   */
  Optional<String> linkName(String path) throws IOException;

  /** Names of the entries of a directory, sorted; empty when the directory is absent. */
  List<String> list(String directory) throws IOException;
}
