package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.nativetests.Prerequisites;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's heartbeat program, compiled exactly as the image builder does and run on the host
 * (its output device is then a pipe instead of ttyS1).
 */
class HeartbeatProgramTest {
  @TempDir static Path dir;
  private static Path heartbeat;

  @BeforeAll
  static void compile() throws Exception {
    Prerequisites.requireProgram("gcc", "apt-get install gcc libc6-dev");
    Path source = dir.resolve("heartbeat.c");
    try (InputStream in = HeartbeatProgramTest.class.getResourceAsStream("/io/ferry/agent/lab/heartbeat.c")) {
      Files.write(source, in.readAllBytes());
    }
    heartbeat = dir.resolve("heartbeat");
    Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-Wall", "-o", heartbeat.toString(), source.toString())
        .redirectErrorStream(true).start();
    String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(gcc.waitFor()).as(output).isZero();
  }

  private static List<Long> firstBeats(int count, String... options) throws Exception {
    List<String> command = new ArrayList<>(List.of(heartbeat.toString()));
    command.addAll(List.of(options));
    command.add("/dev/stdout");
    Process process = new ProcessBuilder(command).start();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
      List<Long> beats = new ArrayList<>();
      while (beats.size() < count) {
        String line = reader.readLine();
        assertThat(line).as("heartbeat ended early").isNotNull();
        beats.add(Long.parseLong(line));
      }
      return beats;
    } finally {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void emitsConsecutiveSequenceNumbersFromOne() throws Exception {
    List<Long> beats = firstBeats(200);
    for (int i = 0; i < beats.size(); i++) {
      assertThat(beats.get(i)).isEqualTo(i + 1L);
    }
  }

  @Test
  void keepsBeatingWhileDirtyingMemory() throws Exception {
    List<Long> beats = firstBeats(200, "--dirty-mbps", "200", "--dirty-buffer-mib", "16");
    assertThat(beats.get(199)).isEqualTo(200L);
  }

  @Test
  void badOptionsAreRefusedWithUsage() throws Exception {
    Process process = new ProcessBuilder(heartbeat.toString(), "--dirty-mbps", "lots", "/dev/null")
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).isEqualTo(2);
    assertThat(output).contains("--dirty-mbps needs a non-negative integer");

    Process noDevice = new ProcessBuilder(heartbeat.toString()).redirectErrorStream(true).start();
    assertThat(noDevice.waitFor()).isEqualTo(2);
  }
}
