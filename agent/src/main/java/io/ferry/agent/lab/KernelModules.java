package io.ferry.agent.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The modules of an unpacked kernel package, and the order to insmod a set of them: each
 * module's {@code depends=} (read from its .modinfo strings) before the module itself, since
 * busybox insmod does not resolve dependencies.
 */
final class KernelModules {
  private final Map<String, Path> byName;
  private final Set<String> builtin;

  private KernelModules(Map<String, Path> byName, Set<String> builtin) {
    this.byName = byName;
    this.builtin = builtin;
  }

  /** Indexes {@code lib/modules/<version>} of an unpacked kernel package. */
  static KernelModules index(Path modulesDir) throws IOException {
    Map<String, Path> byName = new HashMap<>();
    try (Stream<Path> files = Files.walk(modulesDir.resolve("kernel"))) {
      files
          .filter(f -> f.getFileName().toString().endsWith(".ko"))
          .forEach(f -> byName.put(canonical(f.getFileName().toString()), f));
    }
    Set<String> builtin = new HashSet<>();
    Path builtinList = modulesDir.resolve("modules.builtin");
    if (Files.isRegularFile(builtinList)) {
      for (String line : Files.readAllLines(builtinList)) {
        builtin.add(canonical(Path.of(line).getFileName().toString()));
      }
    }
    return new KernelModules(byName, builtin);
  }

  /** Module names use '-' and '_' interchangeably; file names may end in .ko. */
  static String canonical(String name) {
    return name.replace(".ko", "").replace('-', '_');
  }

  /**
   * The modules to load for {@code wanted}, dependencies first, wanted ones in the given order.
   * Built-in modules are left out; a module that is neither a file nor built in is an error.
   */
  Map<String, Path> loadOrder(List<String> wanted) throws IOException {
    Map<String, Path> order = new LinkedHashMap<>();
    for (String module : wanted) {
      visit(canonical(module), order, new ArrayList<>());
    }
    return order;
  }

  private void visit(String module, Map<String, Path> order, List<String> path)
      throws IOException {
    if (order.containsKey(module)) {
      return;
    }
    if (path.contains(module)) {
      throw new GuestBuildException("module dependency cycle: " + path + " -> " + module);
    }
    Path file = byName.get(module);
    if (file == null) {
      if (builtin.contains(module)) {
        return;
      }
      throw new GuestBuildException(
          "the guest kernel has no module " + module + (path.isEmpty() ? "" : " (needed by " + path + ")"));
    }
    path.add(module);
    for (String dependency : dependsOf(file)) {
      visit(canonical(dependency), order, path);
    }
    path.remove(path.size() - 1);
    order.put(module, file);
  }

  /** The comma-separated {@code depends=} value among the module's NUL-separated modinfo strings. */
  static List<String> dependsOf(Path moduleFile) throws IOException {
    byte[] bytes = Files.readAllBytes(moduleFile);
    byte[] key = "\0depends=".getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + key.length <= bytes.length; i++) {
      for (int j = 0; j < key.length; j++) {
        if (bytes[i + j] != key[j]) {
          continue outer;
        }
      }
      int start = i + key.length;
      int end = start;
      while (end < bytes.length && bytes[end] != 0) {
        end++;
      }
      String value = new String(bytes, start, end - start, StandardCharsets.US_ASCII);
      return value.isEmpty() ? List.of() : List.of(value.split(","));
    }
    return List.of();
  }
}
