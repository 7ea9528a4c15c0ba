package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The host packages the lab needs. When one is missing, root gets it installed with apt-get;
 * anyone else gets an error naming the exact command to run.
 */
public final class HostPrerequisites {
  private HostPrerequisites() {}

  /** One thing the lab needs and the Debian package that provides it. */
  record Requirement(String what, String debianPackage, BooleanSupplier present) {}

  static final Path STATIC_LIBC = Path.of("/usr/lib/x86_64-linux-gnu/libc.a");

  static List<Requirement> forGuestBuild() {
    return List.of(
        new Requirement("qemu-system-x86_64", "qemu-system-x86", () -> onPath("qemu-system-x86_64")),
        // The dynamic `busybox` package also installs /bin/busybox; the initramfs needs the
        // static one, since it carries no C library.
        new Requirement("static busybox", "busybox-static", HostPrerequisites::busyboxIsStatic),
        // The heartbeat and NIC watcher are tiny C programs compiled statically for the guest.
        new Requirement("gcc", "gcc", () -> onPath("gcc")),
        new Requirement("static C library", "libc6-dev", () -> Files.isRegularFile(STATIC_LIBC)),
        new Requirement("setpriv", "util-linux", () -> onPath("setpriv")));
  }

  static List<Requirement> forRunningVms() {
    return List.of(
        new Requirement("qemu-system-x86_64", "qemu-system-x86", () -> onPath("qemu-system-x86_64")),
        new Requirement("setpriv", "util-linux", () -> onPath("setpriv")));
  }

  /** Installs (as root) or names (otherwise) every missing package; returns when all present. */
  static void ensure(List<Requirement> requirements, java.util.function.Consumer<String> progress) {
    Set<String> missing = missingPackages(requirements);
    if (missing.isEmpty()) {
      return;
    }
    String install = "apt-get install -y --no-install-recommends " + String.join(" ", missing);
    if (!isRoot()) {
      throw new GuestBuildException(
          "missing host packages " + missing + "; install them with: sudo " + install);
    }
    progress.accept("installing host packages: " + String.join(" ", missing));
    List<String> command = new ArrayList<>(List.of(install.split(" ")));
    Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
    try {
      HostCommand.run(command, Path.of("/"), Duration.ofMinutes(10), env);
    } catch (GuestBuildException firstTry) {
      // A fresh machine may have no package lists yet.
      HostCommand.run(List.of("apt-get", "update"), Path.of("/"), Duration.ofMinutes(5), env);
      HostCommand.run(command, Path.of("/"), Duration.ofMinutes(10), env);
    }
    Set<String> stillMissing = missingPackages(requirements);
    if (!stillMissing.isEmpty()) {
      throw new GuestBuildException("apt-get installed " + missing + " but still missing: " + stillMissing);
    }
  }

  private static Set<String> missingPackages(List<Requirement> requirements) {
    Set<String> missing = new LinkedHashSet<>();
    for (Requirement requirement : requirements) {
      if (!requirement.present().getAsBoolean()) {
        missing.add(requirement.debianPackage());
      }
    }
    return missing;
  }

  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[1].equals("0");
        }
      }
    } catch (IOException ignored) {
      // not Linux: certainly not a host we can install on
    }
    return false;
  }

  public static Optional<Path> findOnPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate.toAbsolutePath());
      }
    }
    return Optional.empty();
  }

  private static boolean onPath(String program) {
    return findOnPath(program).isPresent();
  }

  /** The busybox binary to copy into the guest, if the host has a static one. */
  static Optional<Path> staticBusybox() {
    for (String candidate : List.of("/bin/busybox", "/usr/bin/busybox")) {
      Path path = Path.of(candidate);
      if (Files.isRegularFile(path) && !ElfInfo.hasInterpreter(path)) {
        return Optional.of(path);
      }
    }
    return Optional.empty();
  }

  private static boolean busyboxIsStatic() {
    return staticBusybox().isPresent();
  }
}
