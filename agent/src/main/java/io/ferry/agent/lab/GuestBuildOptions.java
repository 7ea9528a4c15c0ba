package io.ferry.agent.lab;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How to obtain the lab guest.
 *
 * @param cacheRoot where built guests live, one directory per kernel version
 * @param kernel a user-supplied kernel; with {@code initrd}, nothing is built
 * @param initrd a user-supplied initramfs (must run ferry's init contract to be useful)
 * @param progress receives one line per build step, for the CLI
 */
public record GuestBuildOptions(
    Path cacheRoot, Optional<Path> kernel, Optional<Path> initrd, Consumer<String> progress) {

  public GuestBuildOptions {
    Objects.requireNonNull(cacheRoot, "cacheRoot");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(initrd, "initrd");
    Objects.requireNonNull(progress, "progress");
    if (kernel.isPresent() != initrd.isPresent()) {
      throw new IllegalArgumentException("--kernel and --initrd go together: give both or neither");
    }
  }

  /** The default cache, {@code ${XDG_CACHE_HOME:-~/.cache}/ferry/guest}, building quietly. */
  public static GuestBuildOptions defaults() {
    return new GuestBuildOptions(defaultCacheRoot(), Optional.empty(), Optional.empty(), line -> {});
  }

  public GuestBuildOptions withUserImage(Path kernel, Path initrd) {
    return new GuestBuildOptions(cacheRoot, Optional.of(kernel), Optional.of(initrd), progress);
  }

  public GuestBuildOptions withProgress(Consumer<String> progress) {
    return new GuestBuildOptions(cacheRoot, kernel, initrd, progress);
  }

  public GuestBuildOptions withCacheRoot(Path cacheRoot) {
    return new GuestBuildOptions(cacheRoot, kernel, initrd, progress);
  }

  static Path defaultCacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("ferry").resolve("guest");
  }
}
