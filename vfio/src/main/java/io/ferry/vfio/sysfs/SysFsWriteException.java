package io.ferry.vfio.sysfs;

import java.io.IOException;
import java.util.Optional;

/** A write to a kernel attribute that the kernel refused, with the errno name when it is known. */
public final class SysFsWriteException extends IOException {
  private final String path;
  private final String value;
  private final Optional<String> errno;

  public SysFsWriteException(String path, String value, Optional<String> errno, String reason) {
    super("writing '" + value + "' to " + path + " failed: " + errno.map(e -> e + " (" + reason + ")").orElse(reason));
    this.path = path;
    this.value = value;
    this.errno = errno;
  }

  public String path() {
    return path;
  }

  public String value() {
    return value;
  }

  /** EBUSY, ENODEV, EACCES, EINVAL, ... when the failure maps to one. */
  public Optional<String> errno() {
    return errno;
  }
}
