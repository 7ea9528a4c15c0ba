package io.ferry.agent.lab;

import java.nio.file.Path;
import java.util.Objects;

/** A bootable lab guest: a kernel, the initramfs to boot it with, and the kernel's version. */
public record GuestImage(Path kernel, Path initrd, String kernelVersion) {
  public GuestImage {
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initrd, "initrd");
    Objects.requireNonNull(kernelVersion, "kernelVersion");
  }
}
