package io.ferry.agent.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code --baseline libvirt}: the issue asks for it "where libvirt is installed". This class says
 * whether it can run here, and if not, why; the bench refuses the option with that reason before
 * any QEMU starts.
 */
public final class LibvirtBaseline {
  static final List<String> PROGRAMS = List.of("virsh", "libvirtd");

  private LibvirtBaseline() {}

  /** The directories of {@code $PATH} plus the sbin directories where Debian puts libvirtd. */
  public static List<Path> searchPath(String pathVariable) {
    List<Path> dirs = new ArrayList<>();
    if (pathVariable != null) {
      for (String dir : pathVariable.split(":")) {
        if (!dir.isEmpty()) {
          dirs.add(Path.of(dir));
        }
      }
    }
    for (String sbin : List.of("/usr/sbin", "/sbin")) {
      if (!dirs.contains(Path.of(sbin))) {
        dirs.add(Path.of(sbin));
      }
    }
    return dirs;
  }

  /**
   * Why the libvirt baseline cannot run with these directories searched for its programs, or
   * empty if it can.
   */
  public static Optional<String> unavailable(List<Path> searchPath) {
    List<String> missing = new ArrayList<>();
    for (String program : PROGRAMS) {
      if (searchPath.stream().map(dir -> dir.resolve(program)).noneMatch(Files::isExecutable)) {
        missing.add(program);
      }
    }
    if (!missing.isEmpty()) {
      return Optional.of("libvirt is not installed here (no " + String.join(", no ", missing)
          + " in " + searchPath.stream().map(Path::toString).reduce((a, b) -> a + ":" + b).orElse("")
          + "); it comes with Debian's libvirt-daemon-system and libvirt-clients");
    }
    return Optional.of(NOT_ON_ONE_HOST);
  }

  /** What stops the libvirt sequence on one host even where libvirt is installed (see README). */
  static final String NOT_ON_ONE_HOST =
      "libvirt is installed, but ferry has no libvirt baseline yet: see README, "
          + "\"libvirt baseline\", for what was tried on one host";
}
