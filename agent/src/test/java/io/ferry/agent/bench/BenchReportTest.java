package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** report.html: self-contained, well-formed SVG, phases to scale, absence lane, histograms. */
class BenchReportTest {
  static MigrationRunFigures run(int n, long migrateUs, double absenceMs) {
    MigrationFigures f = MigrationFigures.builder()
        .phaseDurationUs(Phase.PREFLIGHT, 10_000)
        .phaseDurationUs(Phase.UNPLUG, 100_000)
        .phaseDurationUs(Phase.MIGRATE, migrateUs)
        .phaseDurationUs(Phase.REPLUG, 20_000)
        .phaseDurationUs(Phase.COMMIT, 10_000)
        .deviceAbsenceUs("hostnet1", (long) (absenceMs * 1000))
        .build();
    Map<String, Double> ms = new LinkedHashMap<>();
    ms.put(MigrationRunFigures.ABSENCE, absenceMs);
    ms.put(MigrationRunFigures.WALL, 150 + migrateUs / 1000.0);
    return new MigrationRunFigures(n, Result.SUCCEEDED, ms, f);
  }

  private static Element svg(String fragment) throws Exception {
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(fragment.getBytes(StandardCharsets.UTF_8)));
    return doc.getDocumentElement();
  }

  private static Element rectTitled(Element svg, String title) {
    NodeList rects = svg.getElementsByTagName("rect");
    for (int i = 0; i < rects.getLength(); i++) {
      Element r = (Element) rects.item(i);
      if (r.getTextContent().equals(title)) {
        return r;
      }
    }
    throw new AssertionError("no rect titled " + title);
  }

  @Test
  void pageIsSelfContainedWithATimelineAndAHistogramPerFigure() {
    String html = BenchReport.html("bench <20 runs>", List.of(run(1, 100_000, 230), run(2, 300_000, 430)));
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<title>bench &lt;20 runs&gt;</title>");
    assertThat(html).doesNotContain("<script", "src=", "href=", "<link", "@import");
    Matcher svgs = Pattern.compile("<svg ").matcher(html);
    int count = 0;
    while (svgs.find()) {
      count++;
    }
    assertThat(count).isEqualTo(1 + 2); // the timeline and one histogram per figure
    assertThat(html).contains("device absence (ms)", "wall time (ms)");
  }

  @Test
  void timelineDrawsPhasesToScaleInTheirLanesAndTheAbsenceEndingWhenDevicesAreBack() throws Exception {
    Element svg = svg(BenchReport.timeline(List.of(run(1, 100_000, 230), run(2, 300_000, 430))));
    Element migrate1 = rectTitled(svg, "run 1 MIGRATE 100.0 ms");
    Element migrate2 = rectTitled(svg, "run 2 MIGRATE 300.0 ms");
    double w1 = Double.parseDouble(migrate1.getAttribute("width"));
    double w2 = Double.parseDouble(migrate2.getAttribute("width"));
    assertThat(w2 / w1).isCloseTo(3.0, org.assertj.core.data.Offset.offset(0.05));
    // Source lane above destination lane within a run.
    Element unplug = rectTitled(svg, "run 1 UNPLUG 100.0 ms");
    Element replug = rectTitled(svg, "run 1 REPLUG 20.0 ms");
    assertThat(Double.parseDouble(replug.getAttribute("y"))).isGreaterThan(Double.parseDouble(unplug.getAttribute("y")));
    // REPLUG starts where MIGRATE ends (phases are sequential).
    double migrateEnd = Double.parseDouble(migrate1.getAttribute("x")) + w1;
    assertThat(Double.parseDouble(replug.getAttribute("x"))).isCloseTo(migrateEnd, org.assertj.core.data.Offset.offset(0.2));
    // The absence (230 ms) ends at the end of COMMIT: 10 + 100 + 100 + 20 + 10 = 240 ms.
    Element absence = rectTitled(svg, "run 1 device absence 230.0 ms");
    Element commit = rectTitled(svg, "run 1 COMMIT 10.0 ms");
    double absenceEnd = Double.parseDouble(absence.getAttribute("x")) + Double.parseDouble(absence.getAttribute("width"));
    double commitEnd = Double.parseDouble(commit.getAttribute("x")) + Double.parseDouble(commit.getAttribute("width"));
    assertThat(absenceEnd).isCloseTo(commitEnd, org.assertj.core.data.Offset.offset(0.2));
  }

  @Test
  void histogramBinsSpanMinToMaxAndCountEveryValue() throws Exception {
    List<Double> values = List.of(0.0, 1.0, 1.0, 5.0, 9.99, 10.0);
    int[] bins = BenchReport.bins(values);
    assertThat(bins).containsExactly(1, 2, 0, 0, 0, 1, 0, 0, 0, 2);
    assertThat(BenchReport.bins(List.of(4.0, 4.0))).containsExactly(2, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    Element svg = svg(BenchReport.histogram("qemu downtime", values));
    assertThat(svg.getElementsByTagName("rect").getLength()).isEqualTo(BenchReport.BINS);
    assertThat(svg.getTextContent()).contains("qemu downtime (ms)", "median 1.0");
  }

  @Test
  void parallelMigrationsAreEachARowLabelledWithTheirSlotAndTheMemoryTableFollows() throws Exception {
    MigrationRunFigures a = run(1, 100_000, 230);
    Map<String, Double> ms = new LinkedHashMap<>(a.millis());
    ms.put(MigrationRunFigures.OVERHEAD, 4.0);
    MigrationRunFigures slot1 = new MigrationRunFigures(1, 1, Result.SUCCEEDED, ms, a.figures());
    ms.put(MigrationRunFigures.OVERHEAD, 6.0);
    MigrationRunFigures slot2 = new MigrationRunFigures(1, 2, Result.SUCCEEDED, ms, a.figures());
    Element svg = svg(BenchReport.timeline(List.of(slot1, slot2)));
    Element first = rectTitled(svg, "run 1 slot 1 MIGRATE 100.0 ms");
    Element second = rectTitled(svg, "run 1 slot 2 MIGRATE 100.0 ms");
    assertThat(Double.parseDouble(second.getAttribute("y"))).isGreaterThan(Double.parseDouble(first.getAttribute("y")));

    String html = BenchReport.html("parallel", List.of(slot1, slot2),
        Map.of(1, new MemorySampler.RunMemory(70.25, 80.0, 5)));
    // run 1: two migrations, overhead median (nearest rank) 4.00, VmRSS 70.3 (one decimal), VmHWM 80.0.
    assertThat(html).contains("Agent memory", "<tr><td>1</td><td>2</td><td>4.00</td><td>70.3</td><td>80.0</td></tr>");
    assertThat(BenchReport.html("alone", List.of(a))).doesNotContain("Agent memory");
  }
}
