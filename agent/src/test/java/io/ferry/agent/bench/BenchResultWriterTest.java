package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** runs.ndjson carries every raw figure of every run; summary.json the per-figure statistics. */
class BenchResultWriterTest {
  @TempDir Path dir;

  static MigrationRunFigures run(int n, double wallMs) {
    MigrationFigures f = MigrationFigures.builder()
        .downtimeMs(10 + n)
        .totalTimeMs(100 + n)
        .setupTimeMs(2)
        .bytesTransferred(1_000_000L * n)
        .passes(3)
        .phaseDurationUs(Phase.UNPLUG, 50_000)
        .phaseDurationUs(Phase.MIGRATE, 120_000)
        .deviceAbsenceUs("hostnet1", 200_000 + n)
        .deviceAbsenceUs("hostnet2", 210_000 + n)
        .build();
    Map<String, Double> ms = new LinkedHashMap<>();
    ms.put(MigrationRunFigures.DOWNTIME, 10.0 + n);
    ms.put(MigrationRunFigures.WALL, wallMs);
    ms.put(MigrationRunFigures.PHASE + "UNPLUG", 50.0);
    return new MigrationRunFigures(n, Result.SUCCEEDED, ms, f);
  }

  @Test
  void runsNdjsonHasOneObjectPerRunWithPhasesDevicesBytesPassesAndSetup() throws IOException {
    try (BenchResultWriter w = BenchResultWriter.open(dir.resolve("out"))) {
      w.run(run(1, 300));
      w.run(run(2, 310));
    }
    List<String> lines = Files.readAllLines(dir.resolve("out").resolve(BenchResultWriter.RUNS));
    assertThat(lines).hasSize(2);
    JsonNode second = BenchResultWriter.JSON.readTree(lines.get(1));
    assertThat(second.get("run").asInt()).isEqualTo(2);
    assertThat(second.get("result").asText()).isEqualTo("SUCCEEDED");
    assertThat(second.at("/ms/wall time").asDouble()).isEqualTo(310.0);
    JsonNode f = second.get("figures");
    assertThat(f.at("/phaseDurationsUs/UNPLUG").asLong()).isEqualTo(50_000);
    assertThat(f.at("/phaseDurationsUs/MIGRATE").asLong()).isEqualTo(120_000);
    assertThat(f.at("/deviceAbsenceUs/hostnet1").asLong()).isEqualTo(200_002);
    assertThat(f.at("/deviceAbsenceUs/hostnet2").asLong()).isEqualTo(210_002);
    assertThat(f.get("bytesTransferred").asLong()).isEqualTo(2_000_000);
    assertThat(f.get("passes").asLong()).isEqualTo(3);
    assertThat(f.get("setupTimeMs").asLong()).isEqualTo(2);
  }

  @Test
  void summaryJsonHasMedianP95MaxAndTheOrderStatisticCi() throws IOException {
    List<MigrationRunFigures> runs = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      runs.add(run(i, 1000 + i));
    }
    try (BenchResultWriter w = BenchResultWriter.open(dir)) {
      w.summary(Map.of("mode", "unplug-replug"), runs);
    }
    JsonNode root = BenchResultWriter.JSON.readTree(dir.resolve(BenchResultWriter.SUMMARY).toFile());
    assertThat(root.get("runs").asInt()).isEqualTo(20);
    assertThat(root.at("/settings/mode").asText()).isEqualTo("unplug-replug");
    assertThat(root.at("/medianCi/lowerRank").asInt()).isEqualTo(6);
    assertThat(root.at("/medianCi/upperRank").asInt()).isEqualTo(15);
    assertThat(root.at("/medianCi/method").asText()).contains("Binomial");
    JsonNode wall = root.at("/figures/wall time");
    assertThat(wall.get("median").asDouble()).isEqualTo(1010.0);
    assertThat(wall.get("p95").asDouble()).isEqualTo(1019.0);
    assertThat(wall.get("max").asDouble()).isEqualTo(1020.0);
    assertThat(wall.get("medianCiLow").asDouble()).isEqualTo(1006.0);
    assertThat(wall.get("medianCiHigh").asDouble()).isEqualTo(1015.0);
    // Main figures first, then the phases.
    List<String> names = new ArrayList<>();
    root.get("figures").fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly(MigrationRunFigures.DOWNTIME, MigrationRunFigures.WALL, "phase UNPLUG");
  }

  @Test
  void aParallelRunWritesOneLinePerMigrationWithItsSlotAndTheAgentMemory() throws IOException {
    MigrationRunFigures one = run(1, 300);
    MigrationRunFigures a = new MigrationRunFigures(1, 1, Result.SUCCEEDED, one.millis(), one.figures());
    MigrationRunFigures b = new MigrationRunFigures(1, 2, Result.SUCCEEDED, run(1, 320).millis(), one.figures());
    MigrationRunFigures c = new MigrationRunFigures(2, 1, Result.SUCCEEDED, run(2, 330).millis(), one.figures());
    MigrationRunFigures d = new MigrationRunFigures(2, 2, Result.SUCCEEDED, run(2, 340).millis(), one.figures());
    Map<Integer, MemorySampler.RunMemory> memory = new LinkedHashMap<>();
    memory.put(1, new MemorySampler.RunMemory(61.04, 70.0, 12));
    memory.put(2, new MemorySampler.RunMemory(65.0, 72.5, 9));
    try (BenchResultWriter w = BenchResultWriter.open(dir)) {
      w.run(new BenchRun(1, List.of(a, b), memory.get(1)));
      w.run(new BenchRun(2, List.of(c, d), memory.get(2)));
      w.summary(Map.of("parallel", 2), List.of(a, b, c, d), memory);
    }
    List<String> lines = Files.readAllLines(dir.resolve(BenchResultWriter.RUNS));
    assertThat(lines).hasSize(4);
    JsonNode second = BenchResultWriter.JSON.readTree(lines.get(1));
    assertThat(second.get("run").asInt()).isEqualTo(1);
    assertThat(second.get("slot").asInt()).isEqualTo(2);
    assertThat(second.at("/ms/wall time").asDouble()).isEqualTo(320.0);
    assertThat(second.at("/agentMemory/maxRssMiB").asDouble()).isEqualTo(61.0);
    assertThat(second.at("/agentMemory/hwmMiB").asDouble()).isEqualTo(70.0);
    assertThat(BenchResultWriter.JSON.readTree(lines.get(3)).at("/agentMemory/samples").asInt()).isEqualTo(9);

    JsonNode root = BenchResultWriter.JSON.readTree(dir.resolve(BenchResultWriter.SUMMARY).toFile());
    assertThat(root.get("runs").asInt()).isEqualTo(2);
    assertThat(root.get("migrations").asInt()).isEqualTo(4);
    assertThat(root.at("/figures/wall time/count").asInt()).isEqualTo(4);
    assertThat(root.at("/agentMemory/maxRssMiB").asDouble()).isEqualTo(65.0);
    assertThat(root.at("/agentMemory/maxHwmMiB").asDouble()).isEqualTo(72.5);
    assertThat(root.at("/agentMemory/perRun/1/run").asInt()).isEqualTo(2);
    assertThat(root.at("/agentMemory/sampleEveryMs").asLong()).isEqualTo(MemorySampler.EVERY_MS);
  }

  @Test
  void fewRunsGiveANullCiAndANote() throws IOException {
    try (BenchResultWriter w = BenchResultWriter.open(dir)) {
      w.summary(Map.of(), List.of(run(1, 5), run(2, 6), run(3, 7)));
    }
    JsonNode root = BenchResultWriter.JSON.readTree(dir.resolve(BenchResultWriter.SUMMARY).toFile());
    assertThat(root.at("/figures/wall time/medianCiLow").isNull()).isTrue();
    assertThat(root.at("/medianCi/note").asText()).contains("fewer than 6 runs");
  }

  @Test
  void anOutPathThatIsAFileIsRefusedAndLeftAlone() throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "keep");
    assertThatThrownBy(() -> BenchResultWriter.open(file)).hasMessageContaining("is not a directory");
    assertThat(Files.readString(file)).isEqualTo("keep");
  }
}
