package io.ferry.nativetests.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.lab.LabProcesses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After a lab test class: every QEMU the lab started in this JVM is gone from /proc (not running,
 * not a zombie), whether its tests passed or failed.
 */
public final class NoLeftoverQemu implements AfterAllCallback {
  @Override
  public void afterAll(ExtensionContext context) {
    List<Long> leftovers =
        LabProcesses.everStarted().stream().filter(NoLeftoverQemu::isQemuInProc).sorted().toList();
    assertThat(leftovers).as("QEMU processes the lab started and left behind").isEmpty();
  }

  static boolean isQemuInProc(long pid) {
    try {
      byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      // A zombie has an empty cmdline but still a /proc entry; check its name too.
      String comm = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
      return new String(cmdline, StandardCharsets.UTF_8).contains("qemu-system") || comm.startsWith("qemu-system");
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
