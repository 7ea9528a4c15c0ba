package io.ferry.nativetests.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.bench.BenchReport;
import io.ferry.agent.bench.MigrationRunFigures;
import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.Result;
import io.ferry.nativetests.Prerequisites;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7: report.html renders in a real browser with no network and no script: headless
 * Chromium screenshots it and the PNG has the window's size and real drawing in it.
 */
class ReportScreenshotTest {
  @TempDir Path dir;

  @Test
  void headlessChromiumRendersTheReportToANonTrivialPng() throws Exception {
    Path chromium = Prerequisites.requireProgram("chromium", "apt-get install chromium");
    List<MigrationRunFigures> runs = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      MigrationFigures f = MigrationFigures.builder()
          .phaseDurationUs(Phase.PREFLIGHT, 100_000 + 5_000L * i)
          .phaseDurationUs(Phase.UNPLUG, 200_000)
          .phaseDurationUs(Phase.MIGRATE, 500_000 + 40_000L * (i % 5))
          .phaseDurationUs(Phase.REPLUG, 8_000)
          .phaseDurationUs(Phase.COMMIT, 10_000)
          .deviceAbsenceUs("hostnet1", 700_000 + 40_000L * (i % 5))
          .build();
      Map<String, Double> ms = new LinkedHashMap<>();
      ms.put(MigrationRunFigures.ABSENCE, 700.0 + 40 * (i % 5));
      ms.put(MigrationRunFigures.WALL, 1000.0 + 13 * i);
      runs.add(new MigrationRunFigures(i, Result.SUCCEEDED, ms, f));
    }
    Path html = Files.writeString(dir.resolve("report.html"), BenchReport.html("screenshot test", runs));
    Path png = dir.resolve("report.png");
    Path profile = Files.createDirectories(dir.resolve("profile"));
    Process browser = new ProcessBuilder(
            chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile, "--screenshot=" + png,
            "--window-size=1200,1600", html.toUri().toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("chromium.log").toFile())
        .start();
    boolean exited = browser.waitFor(120, TimeUnit.SECONDS);
    if (!exited) {
      browser.destroyForcibly().waitFor();
    }
    assertThat(exited).as("chromium exited").isTrue();
    assertThat(png).as(Files.readString(dir.resolve("chromium.log"))).exists();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1200);
    assertThat(image.getHeight()).isEqualTo(1600);
    // A blank or error page has a handful of colours; the timeline and histograms have many.
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 4) {
      for (int x = 0; x < image.getWidth(); x += 4) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours.size()).isGreaterThan(20);
    // The bars' colours are on the page: MIGRATE blue and the absence red.
    assertThat(colours).contains(0xff1565c0, 0xffd32f2f);
  }
}
