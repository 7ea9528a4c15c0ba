package io.ferry.agent.lab;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the lab guest from Debian packages, once per kernel version: Debian's current
 * {@code linux-image-amd64} kernel (downloaded and unpacked, never installed) and a busybox
 * initramfs holding ferry's init, the heartbeat, the NIC watcher and the modules ferry needs.
 *
 * <p>The cache entry {@code <cacheRoot>/<kernel-version>} appears only when complete: the build
 * runs in a temporary directory beside it and is renamed into place, so a failed build leaves
 * nothing behind. An entry built from other init/heartbeat sources is rebuilt.
 */
public final class GuestImageBuilder {
  private GuestImageBuilder() {}

  static final String KERNEL_FILE = "vmlinuz";
  static final String INITRD_FILE = "initrd.img";
  static final String RECIPE_FILE = "recipe.sha256";
  private static final String META_PACKAGE = "linux-image-amd64";
  private static final String RESOURCE_DIR = "/io/ferry/agent/lab/";

  /**
   * The modules the guest loads, in this order (their dependencies are added before them): the
   * NICs ferry migrates (virtio_net with failover, e1000e), the VFIO stack for the VFIO tests
   * inside the guest, and 9p for sharing the host's root with the guest.
   */
  static final List<String> GUEST_MODULES =
      List.of(
          "virtio_pci", "failover", "net_failover", "virtio_net", "e1000e",
          "vfio", "vfio_iommu_type1", "vfio_pci",
          "9pnet_virtio", "9p");

  /** Returns the guest to boot, building it first if the cache has no complete entry. */
  public static GuestImage ensure(GuestBuildOptions options) {
    if (options.kernel().isPresent()) {
      return userSupplied(options.kernel().get(), options.initrd().orElseThrow());
    }
    HostPrerequisites.ensure(HostPrerequisites.forGuestBuild(), options.progress());
    try {
      Files.createDirectories(options.cacheRoot());
      String kernelPackage = resolveKernelPackage(options);
      String kernelVersion = kernelPackage.substring("linux-image-".length());
      String recipe = recipeDigest();
      try (FileChannel lockFile =
              FileChannel.open(
                  options.cacheRoot().resolve(".lock"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock ignored = lockFile.lock()) {
        Path entry = options.cacheRoot().resolve(kernelVersion);
        if (isComplete(entry, recipe)) {
          return imageIn(entry, kernelVersion);
        }
        options.progress().accept("building the lab guest for kernel " + kernelVersion);
        Path staging = Files.createTempDirectory(options.cacheRoot(), ".build-" + kernelVersion + "-");
        try {
          build(kernelPackage, staging, recipe, options);
          publish(staging, entry);
        } finally {
          deleteRecursively(staging);
        }
        return imageIn(entry, kernelVersion);
      }
    } catch (IOException e) {
      throw new GuestBuildException("building the lab guest failed: " + e, e);
    }
  }

  private static GuestImage userSupplied(Path kernel, Path initrd) {
    for (Path file : List.of(kernel, initrd)) {
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new GuestBuildException("not a readable file: " + file);
      }
    }
    return new GuestImage(kernel.toAbsolutePath(), initrd.toAbsolutePath(), "user-supplied");
  }

  private static GuestImage imageIn(Path entry, String kernelVersion) {
    return new GuestImage(entry.resolve(KERNEL_FILE), entry.resolve(INITRD_FILE), kernelVersion);
  }

  private static boolean isComplete(Path entry, String recipe) throws IOException {
    Path recipeFile = entry.resolve(RECIPE_FILE);
    return Files.isRegularFile(entry.resolve(KERNEL_FILE))
        && Files.isRegularFile(entry.resolve(INITRD_FILE))
        && Files.isRegularFile(recipeFile)
        && Files.readString(recipeFile).strip().equals(recipe);
  }

  /** {@code linux-image-amd64}'s current dependency, e.g. {@code linux-image-6.1.0-56-amd64}. */
  static String resolveKernelPackage(GuestBuildOptions options) {
    Optional<String> found = lookUpKernelPackage();
    if (found.isEmpty() && HostPrerequisites.isRoot()) {
      options.progress().accept("apt-cache knows no " + META_PACKAGE + "; running apt-get update");
      HostCommand.run(
          List.of("apt-get", "update"), Path.of("/"), Duration.ofMinutes(5),
          Map.of("DEBIAN_FRONTEND", "noninteractive"));
      found = lookUpKernelPackage();
    }
    return found.orElseThrow(
        () ->
            new GuestBuildException(
                "cannot resolve the guest kernel: `apt-cache depends "
                    + META_PACKAGE
                    + "` names no linux-image package; run `sudo apt-get update` and retry,"
                    + " or pass --kernel and --initrd"));
  }

  private static Optional<String> lookUpKernelPackage() {
    String output;
    try {
      output = HostCommand.run(List.of("apt-cache", "depends", META_PACKAGE), Path.of("/"), Duration.ofMinutes(1));
    } catch (GuestBuildException e) {
      return Optional.empty();
    }
    return output
        .lines()
        .map(String::strip)
        .filter(line -> line.startsWith("Depends: linux-image-"))
        .map(line -> line.substring("Depends: ".length()).strip())
        .findFirst();
  }

  private static void build(String kernelPackage, Path staging, String recipe, GuestBuildOptions options)
      throws IOException {
    Path debDir = Files.createDirectory(staging.resolve("deb"));
    Path unpacked = Files.createDirectory(staging.resolve("pkg"));
    Path tools = Files.createDirectory(staging.resolve("tools"));

    options.progress().accept("downloading " + kernelPackage);
    HostCommand.run(List.of("apt-get", "download", kernelPackage), debDir, Duration.ofMinutes(15));
    Path deb;
    try (Stream<Path> debs = Files.list(debDir)) {
      deb = debs.filter(p -> p.toString().endsWith(".deb")).findFirst()
          .orElseThrow(() -> new GuestBuildException("apt-get download left no .deb in " + debDir));
    }
    options.progress().accept("unpacking " + deb.getFileName());
    HostCommand.run(List.of("dpkg", "-x", deb.toString(), unpacked.toString()), staging, Duration.ofMinutes(10));

    Path modulesDir = singleChild(unpacked.resolve("lib/modules"));
    String moduleVersion = modulesDir.getFileName().toString();
    Path vmlinuz = unpacked.resolve("boot/vmlinuz-" + moduleVersion);
    if (!Files.isRegularFile(vmlinuz)) {
      throw new GuestBuildException(kernelPackage + " holds no boot/vmlinuz-" + moduleVersion);
    }
    Files.copy(vmlinuz, staging.resolve(KERNEL_FILE));

    options.progress().accept("compiling the guest heartbeat and NIC watcher");
    Path heartbeat = compileStatic("heartbeat", tools);
    Path nicwatch = compileStatic("nicwatch", tools);

    options.progress().accept("writing the initramfs");
    Map<String, Path> modules = KernelModules.index(modulesDir).loadOrder(GUEST_MODULES);
    Path busybox = HostPrerequisites.staticBusybox()
        .orElseThrow(() -> new GuestBuildException("no static busybox; apt-get install busybox-static"));
    writeInitramfs(staging.resolve(INITRD_FILE), busybox, heartbeat, nicwatch, modules);

    Files.writeString(staging.resolve(RECIPE_FILE), recipe + "\n");
    deleteRecursively(debDir);
    deleteRecursively(unpacked);
    deleteRecursively(tools);
  }

  private static Path compileStatic(String program, Path tools) throws IOException {
    Path source = tools.resolve(program + ".c");
    Files.write(source, resource(program + ".c"));
    Path binary = tools.resolve(program);
    HostCommand.run(
        List.of("gcc", "-static", "-O2", "-Wall", "-o", binary.toString(), source.toString()),
        tools, Duration.ofMinutes(2));
    return binary;
  }

  private static void writeInitramfs(
      Path target, Path busybox, Path heartbeat, Path nicwatch, Map<String, Path> modules)
      throws IOException {
    List<String> applets =
        HostCommand.run(List.of(busybox.toString(), "--list"), Path.of("/"), Duration.ofSeconds(30))
            .lines().map(String::strip).filter(a -> !a.isEmpty() && !a.equals("busybox")).toList();
    try (OutputStream file = Files.newOutputStream(target);
        CpioNewcWriter cpio =
            new CpioNewcWriter(new GZIPOutputStream(new BufferedOutputStream(file, 1 << 16), 1 << 16))) {
      for (String dir : List.of("bin", "dev", "etc", "etc/ferry", "lib", "lib/modules", "proc", "sys", "tmp", "host", "root")) {
        cpio.directory(dir);
      }
      // The kernel opens /dev/console for init before init can mount devtmpfs.
      cpio.characterDevice("dev/console", 0600, 5, 1);
      cpio.file("init", 0755, resource("init.sh"));
      cpio.file("bin/busybox", 0755, Files.readAllBytes(busybox));
      for (String applet : applets) {
        cpio.symlink("bin/" + applet, "busybox");
      }
      cpio.file("bin/heartbeat", 0755, Files.readAllBytes(heartbeat));
      cpio.file("bin/nicwatch", 0755, Files.readAllBytes(nicwatch));
      StringBuilder order = new StringBuilder();
      for (Map.Entry<String, Path> module : modules.entrySet()) {
        cpio.file("lib/modules/" + module.getKey() + ".ko", 0644, Files.readAllBytes(module.getValue()));
        order.append(module.getKey()).append('\n');
      }
      cpio.file("etc/ferry/modules.order", 0644, order.toString().getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** Renames the finished build into place, replacing an outdated entry only once complete. */
  private static void publish(Path staging, Path entry) throws IOException {
    Path outdated = null;
    if (Files.exists(entry)) {
      outdated = entry.resolveSibling(".outdated-" + entry.getFileName() + "-" + System.nanoTime());
      Files.move(entry, outdated, StandardCopyOption.ATOMIC_MOVE);
    }
    try {
      Files.move(staging, entry, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new GuestBuildException("cannot rename the built guest into " + entry, e);
    }
    if (outdated != null) {
      deleteRecursively(outdated);
    }
  }

  /** Identifies what the guest is built from, so a changed init or heartbeat triggers a rebuild. */
  static String recipeDigest() {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update("ferry-guest-format-1\n".getBytes(StandardCharsets.US_ASCII));
      digest.update(String.join(",", GUEST_MODULES).getBytes(StandardCharsets.US_ASCII));
      for (String name : List.of("init.sh", "heartbeat.c", "nicwatch.c")) {
        digest.update(name.getBytes(StandardCharsets.US_ASCII));
        digest.update(resource(name));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  static byte[] resource(String name) {
    try (InputStream in = GuestImageBuilder.class.getResourceAsStream(RESOURCE_DIR + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE_DIR + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path singleChild(Path dir) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    if (children.size() != 1) {
      throw new GuestBuildException("expected one kernel under " + dir + ", found " + children);
    }
    return children.get(0);
  }

  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
