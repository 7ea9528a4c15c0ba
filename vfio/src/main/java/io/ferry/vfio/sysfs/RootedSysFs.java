package io.ferry.vfio.sysfs;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** {@link SysFs} over the real file system, rooted at a directory ({@code /} on a host). */
public final class RootedSysFs implements SysFs {

  // The JDK reports a failed write(2) by strerror text only; map the ones sysfs uses back to names.
  private static final Map<String, String> ERRNO_BY_MESSAGE =
      Map.of(
          "Device or resource busy", "EBUSY",
          "No such device", "ENODEV",
          "Permission denied", "EACCES",
          "Invalid argument", "EINVAL",
          "No such file or directory", "ENOENT",
          "Operation not permitted", "EPERM",
          "Operation not supported", "EOPNOTSUPP");

  private final Path root;

  public RootedSysFs(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** The host's own kernel. */
  public static RootedSysFs host() {
    return new RootedSysFs(Path.of("/"));
  }

  public Path root() {
    return root;
  }

  /** The real path behind a kernel path; refuses anything that could leave the root. */
  public Path resolve(String path) {
    if (!path.startsWith("/") || path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not an absolute kernel path: " + path);
    }
    for (String part : path.split("/")) {
      if (part.equals("..") || part.equals(".")) {
        throw new IllegalArgumentException("kernel path with '" + part + "': " + path);
      }
    }
    return root.resolve(path.substring(1));
  }

  @Override
  public boolean exists(String path) {
    return Files.exists(resolve(path), LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public Optional<String> read(String path) throws IOException {
    try {
      String text = Files.readString(resolve(path), StandardCharsets.UTF_8);
      return Optional.of(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public void write(String path, String value) throws SysFsWriteException {
    // One write(2) with the whole value: sysfs stores attributes per write call.
    try (FileOutputStream out = new FileOutputStream(resolve(path).toFile(), false)) {
      out.write(value.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage();
      Optional<String> errno =
          e instanceof AccessDeniedException
              ? Optional.of("EACCES")
              : ERRNO_BY_MESSAGE.entrySet().stream()
                  .filter(entry -> message.contains(entry.getKey()))
                  .map(Map.Entry::getValue)
                  .findFirst();
      throw new SysFsWriteException(path, value, errno, message);
    }
  }

  @Override
  public Optional<String> linkName(String path) throws IOException {
    Path link = resolve(path);
    if (!Files.isSymbolicLink(link)) {
      return Optional.empty();
    }
    Path target = Files.readSymbolicLink(link).getFileName();
    return Optional.ofNullable(target).map(Path::toString);
  }

  @Override
  public List<String> list(String directory) throws IOException {
    Path dir = resolve(directory);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
