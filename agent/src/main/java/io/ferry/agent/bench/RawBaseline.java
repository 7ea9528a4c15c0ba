package io.ferry.agent.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code --baseline raw}: the same unplug → migrate → replug → cont as a bare Python 3 script
 * (the resource {@code raw_qmp_migrate.py}: standard library only, no checks, no rollback), so
 * ferry's wall time can be set against the floor. Its figures join the run's as {@code raw ...}.
 */
public final class RawBaseline {
  public static final String WALL = "raw wall time";
  static final String SCRIPT = "raw_qmp_migrate.py";

  private RawBaseline() {}

  /** Copies the script next to the lab's sockets; python3 runs it from there. */
  public static Path install(Path directory) throws IOException {
    Path script = directory.resolve(SCRIPT);
    try (InputStream in = RawBaseline.class.getResourceAsStream(SCRIPT)) {
      if (in == null) {
        throw new IOException(SCRIPT + " is missing from the classpath");
      }
      Files.write(script, in.readAllBytes());
    }
    return script;
  }

  /**
   * Runs one raw migration and returns its figures in milliseconds: {@code raw wall time} (first
   * device_del to cont's reply) and each step. {@code parameters} are the migration parameters
   * ferry's plan gives QEMU (max-bandwidth, downtime-limit), so that both move the same stream. Blocks this (bench) thread until the script ends.
   *
   * @throws IOException if python3 cannot run or the script fails
   */
  public static Map<String, Double> migrate(
      Path script, Path source, Path destination, String uri, Map<String, Object> parameters,
      List<String> deviceSpecs) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("python3", script.toString(),
        source.toString(), destination.toString(), uri,
        BenchResultWriter.JSON.writeValueAsString(parameters)));
    command.addAll(deviceSpecs);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new IOException("the raw baseline script did not end");
    }
    if (process.exitValue() != 0) {
      throw new IOException("the raw baseline script failed: " + output);
    }
    return figures(output);
  }

  static Map<String, Double> figures(String json) throws IOException {
    JsonNode o = BenchResultWriter.JSON.readTree(json);
    Map<String, Double> out = new LinkedHashMap<>();
    out.put(WALL, need(o, "wallMs"));
    out.put("raw unplug", need(o, "unplugMs"));
    out.put("raw migrate", need(o, "migrateMs"));
    out.put("raw replug", need(o, "replugMs"));
    out.put("raw cont", need(o, "contMs"));
    return out;
  }

  private static double need(JsonNode o, String name) throws IOException {
    JsonNode v = o == null ? null : o.get(name);
    if (v == null || !v.isNumber()) {
      throw new IOException("the raw baseline script printed no " + name + ": " + o);
    }
    return v.asDouble();
  }
}
