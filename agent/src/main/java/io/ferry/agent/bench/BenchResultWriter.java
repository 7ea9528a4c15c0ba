package io.ferry.agent.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a bench's {@code --out} directory: {@code runs.ndjson}, one JSON object per run, appended
 * and flushed as each run ends (an interrupted bench keeps the runs it did), and {@code
 * summary.json} at the end.
 */
public final class BenchResultWriter implements AutoCloseable {
  public static final String RUNS = "runs.ndjson";
  public static final String SUMMARY = "summary.json";
  public static final String REPORT = "report.html";
  static final ObjectMapper JSON = new ObjectMapper();

  private final Path directory;
  private final BufferedWriter runs;

  private BenchResultWriter(Path directory, BufferedWriter runs) {
    this.directory = directory;
    this.runs = runs;
  }

  /**
   * Creates the directory if needed and starts {@code runs.ndjson} afresh.
   *
   * @throws IOException if {@code directory} is a file or cannot be written
   */
  public static BenchResultWriter open(Path directory) throws IOException {
    if (Files.exists(directory) && !Files.isDirectory(directory)) {
      throw new IOException("--out " + directory + " is not a directory");
    }
    Files.createDirectories(directory);
    return new BenchResultWriter(directory, Files.newBufferedWriter(directory.resolve(RUNS), StandardCharsets.UTF_8));
  }

  public Path directory() {
    return directory;
  }

  /** Appends one migration's line. */
  public void run(MigrationRunFigures run) throws IOException {
    runs.write(JSON.writeValueAsString(runJson(run)));
    runs.newLine();
    runs.flush();
  }

  /** Appends one line per migration of the run, each with the run's {@code agentMemory}. */
  public void run(BenchRun run) throws IOException {
    for (MigrationRunFigures migration : run.migrations()) {
      ObjectNode o = runJson(migration);
      memoryJson(o.putObject("agentMemory"), run.memory());
      runs.write(JSON.writeValueAsString(o));
      runs.newLine();
    }
    runs.flush();
  }

  /** Writes {@code summary.json}; {@code settings} describes what was measured. */
  public void summary(Map<String, Object> settings, List<MigrationRunFigures> all) throws IOException {
    summary(settings, all, Map.of());
  }

  /**
   * Writes {@code summary.json}, with {@code agentMemory} (the largest VmRSS and VmHWM over the
   * runs, and each run's) when {@code memory} (run number to its memory) is not empty.
   */
  public void summary(Map<String, Object> settings, List<MigrationRunFigures> all,
      Map<Integer, MemorySampler.RunMemory> memory) throws IOException {
    summary(settings, all, memory, Map.of());
  }

  /** Writes {@code summary.json} with {@code extra} top-level objects (e.g. {@code libvirtBaseline}). */
  public void summary(Map<String, Object> settings, List<MigrationRunFigures> all,
      Map<Integer, MemorySampler.RunMemory> memory, Map<String, Object> extra) throws IOException {
    ObjectNode root = summaryJson(settings, all, memory);
    extra.forEach((name, value) -> root.set(name, JSON.valueToTree(value)));
    Files.writeString(directory.resolve(SUMMARY),
        JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n");
  }

  /** Writes {@code report.html} (see {@link BenchReport}). */
  public void report(String title, List<MigrationRunFigures> all, Map<Integer, MemorySampler.RunMemory> memory)
      throws IOException {
    report(title, all, memory, List.of());
  }

  /** Writes {@code report.html} with {@code notes} (e.g. what a baseline did not run) under the title. */
  public void report(String title, List<MigrationRunFigures> all, Map<Integer, MemorySampler.RunMemory> memory,
      List<String> notes) throws IOException {
    Files.writeString(directory.resolve(REPORT), BenchReport.html(title, all, memory, notes), StandardCharsets.UTF_8);
  }

  /**
   * One run: {@code run}, {@code result}, {@code ms} (the summary's figures in milliseconds) and
   * {@code figures} (the orchestrator's raw figures: phases and per-device absence in µs, bytes,
   * passes, setup time; the result event's {@code detail.figures} form).
   */
  static ObjectNode runJson(MigrationRunFigures run) {
    ObjectNode o = JSON.createObjectNode();
    o.put("run", run.run());
    o.put("slot", run.slot());
    o.put("result", run.result().name());
    ObjectNode ms = o.putObject("ms");
    run.millis().forEach(ms::put);
    o.set("figures", JSON.valueToTree(run.figures().toDetail()));
    return o;
  }

  static ObjectNode summaryJson(Map<String, Object> settings, List<MigrationRunFigures> all) {
    return summaryJson(settings, all, Map.of());
  }

  /**
   * {@code runs} counts the runs, {@code migrations} every migration (P per run with {@code
   * --parallel P}); each figure's statistics are over the migrations.
   */
  static ObjectNode summaryJson(Map<String, Object> settings, List<MigrationRunFigures> all,
      Map<Integer, MemorySampler.RunMemory> memory) {
    ObjectNode root = JSON.createObjectNode();
    root.put("runs", all.stream().mapToInt(MigrationRunFigures::run).distinct().count());
    root.put("migrations", all.size());
    root.set("settings", JSON.valueToTree(settings));
    ObjectNode ci = root.putObject("medianCi");
    ci.put("method", "distribution-free: order statistics x(j), x(n-j+1) with B ~ Binomial(n, 1/2)");
    ci.put("confidence", MedianInterval.CONFIDENCE);
    MedianInterval.forCount(all.size(), MedianInterval.CONFIDENCE).ifPresentOrElse(
        i -> {
          ci.put("lowerRank", i.lowerRank());
          ci.put("upperRank", i.upperRank());
          ci.put("coverage", i.coverage());
        },
        () -> ci.put("note", "fewer than 6 runs: no order-statistic interval reaches 95%"));
    ObjectNode figures = root.putObject("figures");
    FigureSummaries.of(all).forEach((name, s) -> {
      ObjectNode f = figures.putObject(name);
      f.put("unit", "ms");
      f.put("count", s.count());
      number(f, "median", s.median());
      number(f, "p95", s.p95());
      number(f, "max", s.max());
      number(f, "medianCiLow", s.medianCiLow());
      number(f, "medianCiHigh", s.medianCiHigh());
    });
    if (!memory.isEmpty()) {
      ObjectNode agent = root.putObject("agentMemory");
      agent.put("source", "/proc/self/status of the agent's JVM");
      agent.put("sampleEveryMs", MemorySampler.EVERY_MS);
      agent.put("maxRssMiB", round(memory.values().stream().mapToDouble(MemorySampler.RunMemory::maxRssMiB).max().orElseThrow()));
      agent.put("maxHwmMiB", round(memory.values().stream().mapToDouble(MemorySampler.RunMemory::hwmMiB).max().orElseThrow()));
      var perRun = agent.putArray("perRun");
      memory.forEach((run, m) -> memoryJson(perRun.addObject().put("run", run), m));
    }
    return root;
  }

  private static void memoryJson(ObjectNode into, MemorySampler.RunMemory m) {
    into.put("maxRssMiB", round(m.maxRssMiB()));
    into.put("hwmMiB", round(m.hwmMiB()));
    into.put("samples", m.samples());
  }

  private static double round(double mib) {
    return Math.round(mib * 10) / 10.0;
  }

  private static void number(ObjectNode into, String name, double value) {
    if (Double.isNaN(value)) {
      into.putNull(name);
    } else {
      into.put(name, value);
    }
  }

  @Override
  public void close() throws IOException {
    runs.close();
  }
}
