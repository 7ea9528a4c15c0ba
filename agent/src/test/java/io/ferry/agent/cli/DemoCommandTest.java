package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The demo's bad-input paths: a clear error, exit code 2, and no QEMU started. */
class DemoCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return FerryMain.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
  }

  @Test
  void unknownHotplugMechanismIsRejected() {
    assertThat(run("demo", "--hotplug", "magic")).isEqualTo(2);
    assertThat(err.toString()).contains("--hotplug").contains("ACPI").contains("NATIVE");
    assertThat(out.toString()).doesNotContain("ferry demo:");
  }

  @Test
  void kernelWithoutInitrdIsRejected() {
    assertThat(run("demo", "--kernel", "/boot/vmlinuz")).isEqualTo(2);
    assertThat(err.toString()).contains("--kernel and --initrd go together");
  }

  @Test
  void demoIsRegisteredAndDocumented() {
    assertThat(run("demo", "--help")).isZero();
    assertThat(out.toString()).contains("--hotplug").contains("--kernel").contains("--initrd").contains("--keep");
  }
}
