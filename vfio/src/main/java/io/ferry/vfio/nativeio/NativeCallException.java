package io.ferry.vfio.nativeio;

import java.io.IOException;

/** A system call that failed, with its errno. */
public final class NativeCallException extends IOException {
  private final int errno;

  public NativeCallException(String call, int errno, Throwable cause) {
    super(call + " failed: errno " + errno + " (" + Errno.name(errno) + ")", cause);
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
