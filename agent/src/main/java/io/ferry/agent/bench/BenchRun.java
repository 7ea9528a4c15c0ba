package io.ferry.agent.bench;

import java.util.List;

/**
 * One bench run: its migrations (one per slot, all started at once; one alone without {@code
 * --parallel}) and the agent's memory while they ran.
 */
public record BenchRun(int run, List<MigrationRunFigures> migrations, MemorySampler.RunMemory memory) {
  public BenchRun {
    migrations = List.copyOf(migrations);
  }
}
