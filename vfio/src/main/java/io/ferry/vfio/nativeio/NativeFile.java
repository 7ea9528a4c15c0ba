package io.ferry.vfio.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;

/** An open file descriptor from open(2), for ioctls; closing it is the owner's job. */
public final class NativeFile implements AutoCloseable {
  public static final int O_RDWR = 0x2;
  public static final int O_CLOEXEC = 0x80000;

  private final String path;
  private int fd;

  private NativeFile(String path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  /** open(path, O_RDWR | O_CLOEXEC). */
  public static NativeFile openReadWrite(String path) throws NativeCallException {
    try {
      return new NativeFile(path, LibC.INSTANCE.open(path, O_RDWR | O_CLOEXEC));
    } catch (LastErrorException e) {
      throw new NativeCallException("open(" + path + ")", e.getErrorCode(), e);
    }
  }

  /** ioctl with an integer argument (or none); returns the ioctl's non-negative result. */
  public int ioctl(long request, long argument) throws NativeCallException {
    try {
      return LibC.INSTANCE.ioctl(fd, new NativeLong(request), new NativeLong(argument));
    } catch (LastErrorException e) {
      throw new NativeCallException(describe(request), e.getErrorCode(), e);
    }
  }

  /** ioctl with a pointer to a struct the kernel reads and fills. */
  public int ioctl(long request, Memory argument) throws NativeCallException {
    try {
      return LibC.INSTANCE.ioctl(fd, new NativeLong(request), argument);
    } catch (LastErrorException e) {
      throw new NativeCallException(describe(request), e.getErrorCode(), e);
    }
  }

  private String describe(long request) {
    return "ioctl(" + path + ", 0x" + Long.toHexString(request) + ")";
  }

  @Override
  public void close() throws NativeCallException {
    if (fd < 0) {
      return;
    }
    int closing = fd;
    fd = -1;
    try {
      LibC.INSTANCE.close(closing);
    } catch (LastErrorException e) {
      throw new NativeCallException("close(" + path + ")", e.getErrorCode(), e);
    }
  }
}
