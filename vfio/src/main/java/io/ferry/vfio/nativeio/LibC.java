package io.ferry.vfio.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/** The few libc calls ferry needs, bound through JNA. Errors surface as {@link LastErrorException}. */
interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int open(String path, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int ioctl(int fd, NativeLong request, Pointer argument) throws LastErrorException;

  int ioctl(int fd, NativeLong request, NativeLong argument) throws LastErrorException;

  int socket(int domain, int type, int protocol) throws LastErrorException;

  int bind(int fd, Pointer address, int addressLength) throws LastErrorException;

  int setsockopt(int fd, int level, int name, Pointer value, int valueLength) throws LastErrorException;

  NativeLong sendto(int fd, Pointer buffer, NativeLong length, int flags, Pointer address, int addressLength)
      throws LastErrorException;

  NativeLong recv(int fd, Pointer buffer, NativeLong length, int flags) throws LastErrorException;
}
