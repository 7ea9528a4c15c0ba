package io.ferry.nativetests.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.qmp.QmpClient;
import io.ferry.qmp.VmStatus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class QmpSmokeTest {
  private QemuProcess qemu;

  @AfterEach
  void stopQemu() {
    if (qemu != null) {
      qemu.close();
    }
  }

  @Test
  void negotiatesAndQueriesStatusOfPausedQemu() throws Exception {
    qemu = QemuProcess.start();
    try (QmpClient client = QmpClient.connect(qemu.qmpSocket()).get(10, TimeUnit.SECONDS)) {
      assertThat(client.greeting().major()).isGreaterThanOrEqualTo(7);
      VmStatus status = client.queryStatus().get(5, TimeUnit.SECONDS);
      assertThat(status.status()).isEqualTo("prelaunch");
      assertThat(status.running()).isFalse();
    }
  }
}
