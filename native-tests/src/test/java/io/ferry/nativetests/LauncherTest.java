package io.ferry.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./ferry} launcher's class-data archive: built from {@code packaging/ferry.classlist}
 * on first use and not again while the jar is unchanged, and one the JVM can really map (with
 * {@code -Xshare:on} a JVM refuses to start rather than run without it).
 */
class LauncherTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path ARCHIVE = ROOT.resolve("agent/target/ferry.jsa");

  private record Run(int exit, String stdout, String stderr) {}

  private static Run run(String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("ferry-launcher", ".out");
    Path err = Files.createTempFile("ferry-launcher", ".err");
    try {
      Process p = new ProcessBuilder(command).directory(ROOT.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s finished", List.of(command)).isTrue();
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Test
  void theLauncherBuildsTheClassDataArchiveOnceAndTheJvmMapsIt() throws Exception {
    Files.deleteIfExists(ARCHIVE);

    Run first = run(ROOT.resolve("ferry").toString(), "--version");
    assertThat(first.exit()).as(first.stderr()).isZero();
    assertThat(first.stdout()).startsWith("ferry ");
    assertThat(first.stderr()).contains("building the class-data archive");
    assertThat(ARCHIVE).isRegularFile();

    Run second = run(ROOT.resolve("ferry").toString(), "--version");
    assertThat(second.exit()).isZero();
    assertThat(second.stderr()).as("the archive is reused").doesNotContain("building");

    // The launcher's `java` (from PATH) is the JDK the archive was dumped with.
    Run mapped = run("java", "-Xshare:on", "-XX:SharedArchiveFile=" + ARCHIVE,
        "-jar", ROOT.resolve("agent/target/ferry.jar").toString(), "--version");
    assertThat(mapped.exit()).as(mapped.stderr()).isZero();
    assertThat(mapped.stdout()).startsWith("ferry ");
  }

  @Test
  void theLauncherFindsItsJarThroughASymlinkAsTheSystemdUnitUsesIt(@TempDir Path bin) throws Exception {
    Path link = Files.createSymbolicLink(bin.resolve("ferry"), ROOT.resolve("ferry"));
    Run run = run(link.toString(), "--version");
    assertThat(run.exit()).as(run.stderr()).isZero();
    assertThat(run.stdout()).startsWith("ferry ");
  }
}
