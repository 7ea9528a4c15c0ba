package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --compare reads two summary.json files written by the bench and prints medians with B/A. */
class SummaryComparisonTest {
  @TempDir Path dir;

  private Path summary(String name, double wallBase) throws IOException {
    List<MigrationRunFigures> runs = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      runs.add(BenchResultWriterTest.run(i, wallBase + i));
    }
    Path out = Files.createDirectories(dir.resolve(name));
    try (BenchResultWriter w = BenchResultWriter.open(out)) {
      w.summary(Map.of(), runs);
    }
    return out.resolve(BenchResultWriter.SUMMARY);
  }

  @Test
  void printsMediansSideBySideWithTheRatio() throws IOException {
    Path a = summary("a", 96);   // wall median 100
    Path b = summary("b", 146);  // wall median 150
    assertThat(SummaryComparison.medians(a)).containsEntry(MigrationRunFigures.WALL, 100.0);
    StringWriter text = new StringWriter();
    SummaryComparison.print(new PrintWriter(text), a, SummaryComparison.medians(a), b, SummaryComparison.medians(b));
    assertThat(text.toString())
        .contains("| wall time          |       100.00 |       150.00 |     1.50 |")
        .contains("| qemu downtime      |        14.00 |        14.00 |     1.00 |");
  }

  @Test
  void aFileThatIsNotASummaryIsAClearError() throws IOException {
    Path notJson = Files.writeString(dir.resolve("x.json"), "not json");
    Path otherJson = Files.writeString(dir.resolve("y.json"), "{\"runs\": 3}");
    assertThatThrownBy(() -> SummaryComparison.medians(notJson)).hasMessageContaining("not readable JSON");
    assertThatThrownBy(() -> SummaryComparison.medians(otherJson)).hasMessageContaining("not a ferry bench summary.json");
    assertThatThrownBy(() -> SummaryComparison.medians(dir.resolve("missing.json"))).isInstanceOf(IOException.class);
  }

  @Test
  void ratioIsOmittedWhenAIsZeroOrMissing() {
    assertThat(SummaryComparison.ratio(0.0, 5.0)).isEqualTo("-");
    assertThat(SummaryComparison.ratio(null, 5.0)).isEqualTo("-");
    assertThat(SummaryComparison.ratio(2.0, 5.0)).isEqualTo("2.50");
  }
}
