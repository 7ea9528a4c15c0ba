package io.ferry.nativetests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fresh directory that a lab guest sees through its 9p share of the host's root. The guest
 * mounts its own tmpfs over {@code /tmp}, so files it must read cannot live under the host's
 * {@code /tmp}, and neither can a checkout there (CI may clone under /tmp): they go under the
 * user's cache directory instead.
 */
public final class GuestVisibleDir {
  private GuestVisibleDir() {}

  public static Path fresh(String name) throws IOException {
    String cache = System.getenv("XDG_CACHE_HOME");
    Path base =
        cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache");
    Path dir = base.resolve("ferry").resolve("native-tests").resolve(name).toAbsolutePath();
    Prerequisites.require(!dir.startsWith("/tmp"), "a cache directory outside /tmp (HOME or XDG_CACHE_HOME)");
    deleteRecursively(dir);
    return Files.createDirectories(dir);
  }

  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path path : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(path);
      }
    }
  }
}
