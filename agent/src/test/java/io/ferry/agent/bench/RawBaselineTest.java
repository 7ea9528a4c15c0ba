package io.ferry.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw baseline's script ships as a resource and its output becomes the raw figures. */
class RawBaselineTest {
  @TempDir Path dir;

  @Test
  void theScriptIsInstalledFromTheClasspath() throws IOException {
    Path script = RawBaseline.install(dir);
    assertThat(Files.readString(script)).startsWith("#!/usr/bin/env python3").contains("device_del", "migrate-incoming", "cont");
  }

  @Test
  void theScriptsJsonBecomesTheRawFigures() throws IOException {
    var figures = RawBaseline.figures(
        "{\"unplugMs\": 200.5, \"migrateMs\": 300, \"replugMs\": 6.1, \"contMs\": 3.2, \"wallMs\": 509.8}");
    assertThat(figures).containsEntry(RawBaseline.WALL, 509.8).containsEntry("raw unplug", 200.5)
        .containsEntry("raw migrate", 300.0).containsEntry("raw replug", 6.1).containsEntry("raw cont", 3.2);
  }

  @Test
  void outputWithoutTheFiguresIsAClearError() {
    assertThatThrownBy(() -> RawBaseline.figures("{\"wallMs\": 1}")).hasMessageContaining("no unplugMs");
  }
}
