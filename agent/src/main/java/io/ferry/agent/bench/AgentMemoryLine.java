package io.ferry.agent.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The lines under the summary table about scale: how many migrations ran at once, ferry's median
 * overhead per migration, and the agent's largest memory over the runs.
 */
public final class AgentMemoryLine {
  private AgentMemoryLine() {}

  public static void print(PrintWriter out, int parallel, List<MigrationRunFigures> all,
      Map<Integer, MemorySampler.RunMemory> memory) {
    if (memory.isEmpty()) {
      return;
    }
    List<Double> overhead = new ArrayList<>();
    all.forEach(r -> {
      Double v = r.millis().get(MigrationRunFigures.OVERHEAD);
      if (v != null) {
        overhead.add(v);
      }
    });
    double rss = memory.values().stream().mapToDouble(MemorySampler.RunMemory::maxRssMiB).max().orElseThrow();
    double hwm = memory.values().stream().mapToDouble(MemorySampler.RunMemory::hwmMiB).max().orElseThrow();
    out.printf("%n%d migration(s) at once, %d in all: ferry overhead per migration median %s ms; "
            + "agent memory: max VmRSS %.1f MiB while migrating (sampled every %d ms), VmHWM %.1f MiB%n",
        parallel, all.size(),
        overhead.isEmpty() ? "n/a" : String.format("%.2f", Summary.of(overhead).median()),
        rss, MemorySampler.EVERY_MS, hwm);
    out.flush();
  }
}
