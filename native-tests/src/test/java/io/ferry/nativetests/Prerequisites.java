package io.ferry.nativetests;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Native tests need real programs. On a developer machine a missing one skips the test with the
 * command that installs it; with {@code CI=true} it fails the test, because CI must run them all.
 */
public final class Prerequisites {
  private Prerequisites() {}

  public static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The absolute path of {@code program} on PATH, or a skip (locally) / failure (CI). */
  public static Path requireProgram(String program, String installHint) {
    Optional<Path> found = findOnPath(program);
    if (found.isPresent()) {
      return found.get();
    }
    return missing(program + " is not on PATH; install it with: " + installHint);
  }

  /** Asserts a condition that the test environment must satisfy (root, /dev/kvm, a module...). */
  public static void require(boolean condition, String whatIsMissing) {
    if (!condition) {
      missing(whatIsMissing);
    }
  }

  public static Optional<Path> findOnPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate.toAbsolutePath());
      }
    }
    return Optional.empty();
  }

  private static <T> T missing(String message) {
    if (inCi()) {
      fail("prerequisite missing in CI (native tests never skip there): " + message);
    }
    abort("skipped locally, prerequisite missing: " + message);
    throw new AssertionError("unreachable");
  }
}
