package io.ferry.agent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code --baseline libvirt}: the part of the libvirt sequence ({@code virsh detach-device},
 * {@code virsh migrate --live}, {@code virsh attach-device}) that one host allows, on the same
 * guest and NIC as ferry's runs, driven through the local libvirtd ({@link LibvirtGuest}). This
 * class says whether it can run here, and if not, why: the bench refuses the option with that
 * reason before any QEMU starts. It never starts libvirtd itself.
 */
public final class LibvirtBaseline {
  /** The local system libvirtd, where root's domains live. */
  public static final String URI = "qemu:///system";
  public static final String DETACH = "libvirt detach";
  public static final String ATTACH = "libvirt attach";
  public static final String ABSENCE = "libvirt device absence";
  /** One {@code virsh domstate}: what every virsh command costs before libvirt does anything. */
  public static final String NOOP = "libvirt virsh no-op";
  static final List<String> PROGRAMS = List.of("virsh", "libvirtd");
  static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);
  /** How to start the daemons where there is no systemd (ferry does not). */
  static final String START_HINT = "start it as root with `virtlogd -d; libvirtd -d` (ferry does not start libvirtd)";

  /** The steps that run on one host, as the figures name them. */
  public static final List<String> RAN = List.of(
      "virsh detach-device --live (\"" + DETACH + "\": until the command returned and libvirt's device-removed event arrived)",
      "virsh attach-device --live (\"" + ATTACH + "\": until the command returned)",
      "virsh domstate (\"" + NOOP + "\": one virsh command that changes nothing, for virsh's own cost)");

  /** What the absence figure spans here, where nothing migrates between the two commands. */
  public static final String ABSENCE_MEANS = "\"" + ABSENCE + "\": from libvirt's device-removed event to "
      + "attach-device's return; on one host no migration lies between them, so it is not ferry's "
      + "\"device absence\" (which spans the migration): set \"" + DETACH + "\" against \"phase UNPLUG\" "
      + "and \"" + ATTACH + "\" against \"phase REPLUG\"";

  /** Why {@code virsh migrate --live} does not run in the bench (see README). */
  public static final String MIGRATE_NOT_RUN =
      "one libvirtd refuses to migrate a guest to itself "
          + "(\"Attempt to migrate guest to the same host\"); the sequence ran only with a second "
          + "libvirtd, as another user with its own host_uuid, which the bench does not set up "
          + "(README, \"libvirt baseline\")";

  /** What the libvirt baseline ran and did not run, for the summary. */
  public record Notes(String uri, String versions, String domain, List<String> ran, String migrateNotRun,
      String libvirtSaid) {
    /** The summary.json object. */
    public Map<String, Object> json() {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("uri", uri);
      if (versions != null) {
        o.put("versions", versions);
      }
      if (domain != null) {
        o.put("domain", domain);
      }
      o.put("ran", ran);
      o.put("absence", ABSENCE_MEANS);
      Map<String, Object> migrate = new LinkedHashMap<>();
      migrate.put("reason", migrateNotRun);
      if (libvirtSaid != null) {
        migrate.put("libvirtSaid", libvirtSaid);
      }
      o.put("notRun", Map.of("virsh migrate --live", migrate));
      return o;
    }

    /** The lines printed under the summary table. */
    public List<String> lines() {
      List<String> lines = new ArrayList<>();
      lines.add("libvirt baseline: " + uri + (versions == null ? "" : " (" + versions + ")")
          + (domain == null ? "" : ", transient domain " + domain + ", destroyed at the end"));
      ran.forEach(step -> lines.add("  ran:     " + step));
      lines.add("  note:    " + ABSENCE_MEANS);
      lines.add("  not run: virsh migrate --live: " + migrateNotRun);
      if (libvirtSaid != null) {
        lines.add("           (tried once on this host; libvirt said: " + libvirtSaid + ")");
      }
      return lines;
    }
  }

  /**
   * "libvirtd 9.0.0, QEMU 7.2.22" from {@code virsh version --daemon}'s "Running against daemon"
   * and "Running hypervisor" lines; the whole text on one line if they are not there.
   */
  static String versions(String virshVersion) {
    java.util.regex.Matcher daemon = java.util.regex.Pattern.compile("Running against daemon: *(\\S+)").matcher(virshVersion);
    java.util.regex.Matcher hypervisor = java.util.regex.Pattern.compile("Running hypervisor: *(.+)").matcher(virshVersion);
    if (daemon.find() && hypervisor.find()) {
      return "libvirtd " + daemon.group(1) + ", " + hypervisor.group(1).strip();
    }
    return virshVersion.strip().replaceAll("\\s*\\n\\s*", "; ");
  }

  /** The notes when no domain was created (the bench failed first). */
  public static Notes notesWithoutDomain() {
    return new Notes(URI, null, null, RAN, MIGRATE_NOT_RUN, null);
  }

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

  /** The first executable {@code program} in {@code searchPath}. */
  static Optional<Path> locate(List<Path> searchPath, String program) {
    return searchPath.stream().map(dir -> dir.resolve(program)).filter(Files::isExecutable).findFirst()
        .map(Path::toAbsolutePath);
  }

  /** virsh as found in {@code searchPath}. */
  public static Path virsh(List<Path> searchPath) {
    return locate(searchPath, "virsh").orElseThrow(() -> new IllegalStateException("no virsh in " + searchPath));
  }

  /**
   * Why the libvirt baseline cannot run with these directories searched for its programs, or
   * empty if it can: libvirt's programs missing, or {@code virsh -c qemu:///system uri} failing
   * (libvirtd not running or not reachable), with virsh's own message.
   */
  public static Optional<String> unavailable(List<Path> searchPath) {
    return unavailable(searchPath, virsh -> Virsh.runner(virsh, URI));
  }

  static Optional<String> unavailable(List<Path> searchPath, Function<Path, Virsh.Runner> runners) {
    List<String> missing = new ArrayList<>();
    for (String program : PROGRAMS) {
      if (locate(searchPath, program).isEmpty()) {
        missing.add(program);
      }
    }
    if (!missing.isEmpty()) {
      return Optional.of("libvirt is not installed here (no " + String.join(", no ", missing)
          + " in " + searchPath.stream().map(Path::toString).reduce((a, b) -> a + ":" + b).orElse("")
          + "); it comes with Debian's libvirt-daemon-system and libvirt-clients");
    }
    Virsh.Result uri;
    try {
      uri = runners.apply(virsh(searchPath)).run(List.of("uri"), CHECK_TIMEOUT);
    } catch (IOException e) {
      return Optional.of("libvirt is installed here, but virsh could not run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while asking libvirtd (virsh -c " + URI + " uri)");
    }
    if (!uri.ok()) {
      return Optional.of("libvirt is installed here, but libvirtd is not reachable: `virsh -c " + URI
          + " uri` failed" + (uri.exitCode() < 0 ? "" : " (exit " + uri.exitCode() + ")") + ": "
          + uri.message() + "; " + START_HINT);
    }
    return Optional.empty();
  }
}
