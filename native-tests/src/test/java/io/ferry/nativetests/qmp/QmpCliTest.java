package io.ferry.nativetests.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.cli.QmpCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ferry qmp} against a real QEMU: reply on stdout, clear errors, exit codes. */
class QmpCliTest {
  private QemuProcess qemu;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void stop() {
    if (qemu != null) {
      qemu.close();
    }
  }

  private int run(String... args) {
    out.reset();
    err.reset();
    return new CommandLine(
            new QmpCommand(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)))
        .execute(args);
  }

  @Test
  void printsRepliesAndMapsFailuresToExitCodes() throws Exception {
    qemu = QemuProcess.start();
    String socket = qemu.qmpSocket().toString();

    assertThat(run(socket, "query-status")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8).trim())
        .startsWith("{")
        .contains("\"status\":\"prelaunch\"");

    assertThat(run(socket, "device_add", "{\"driver\":\"e1000e\",\"id\":\"nic9\",\"bus\":\"rp1\"}")).isZero();
    assertThat(run(socket, "qom-get", "{\"path\":\"/machine/peripheral/nic9\",\"property\":\"type\"}"))
        .isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("e1000e");

    assertThat(run(socket, "device_del", "{\"id\":\"no-such\"}")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("DeviceNotFound");

    assertThat(run(socket, "device_del", "[\"not\",\"an\",\"object\"]")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("JSON object");

    assertThat(run(socket + ".missing", "query-status")).isEqualTo(3);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such socket");

    // Nothing above broke the monitor.
    assertThat(run(socket, "query-status", "--timeout", "5s")).isZero();
  }

  @Test
  void eventsModePrintsTheReplyThenStreamsEventsUntilQemuGoesAway() throws Exception {
    qemu = QemuProcess.start();
    String socket = qemu.qmpSocket().toString();
    java.util.concurrent.CompletableFuture<Integer> exit =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> run(socket, "cont", "--events"));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> out.toString(StandardCharsets.UTF_8).contains("\"event\":\"RESUME\""));
    assertThat(exit).isNotDone(); // still streaming
    qemu.kill();
    assertThat(exit.get(20, java.util.concurrent.TimeUnit.SECONDS)).isZero();
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed.lines()).contains("{}");
    assertThat(printed).contains("\"timestamp\":{\"seconds\":");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("closed by QEMU");
  }
}
