package io.ferry.vfio.nativeio;

import java.util.Map;

/** Names of the errno values ferry meets (asm-generic/errno-base.h, errno.h on x86-64). */
public final class Errno {
  private Errno() {}

  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int EACCES = 13;
  public static final int EBUSY = 16;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int ENOTTY = 25;
  public static final int ERANGE = 34;
  public static final int EOPNOTSUPP = 95;

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(EBADF, "EBADF"),
      Map.entry(EAGAIN, "EAGAIN"), Map.entry(EACCES, "EACCES"), Map.entry(EBUSY, "EBUSY"),
      Map.entry(ENODEV, "ENODEV"), Map.entry(EINVAL, "EINVAL"), Map.entry(ENOTTY, "ENOTTY"),
      Map.entry(ERANGE, "ERANGE"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"));

  public static String name(int errno) {
    return NAMES.getOrDefault(errno, "errno " + errno);
  }
}
