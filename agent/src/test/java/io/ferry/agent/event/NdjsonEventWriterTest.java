package io.ferry.agent.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NdjsonEventWriterTest {

  /** Records the bytes that were flushed, so "flushed per line" is observable. */
  static final class FlushRecorder extends OutputStream {
    final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    final List<String> flushed = new ArrayList<>();

    @Override
    public void write(int b) {
      pending.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      pending.write(b, off, len);
    }

    @Override
    public void flush() {
      flushed.add(pending.toString(StandardCharsets.UTF_8));
      pending.reset();
    }
  }

  @Test
  void eachEventIsOneLineFlushedAtOnceAndReadsBackEqual() {
    FlushRecorder out = new FlushRecorder();
    MigrationEvents events = new MigrationEvents("m1", new NdjsonEventWriter(out));
    List<MigrationEvent> written = List.of(
        events.phaseStarted(Phase.PREFLIGHT),
        events.qemu(Phase.UNPLUG, Side.SOURCE, "DEVICE_DELETED", 1L, "hostnet1", Map.of()),
        events.result(Result.SUCCEEDED, "ok", MigrationFigures.none()));

    assertThat(out.flushed).hasSize(3).allSatisfy(chunk -> {
      assertThat(chunk).endsWith("\n");
      assertThat(chunk.indexOf('\n')).isEqualTo(chunk.length() - 1);
    });
    assertThat(out.flushed.stream().map(l -> EventJson.fromLine(l.strip())).toList())
        .isEqualTo(written);
  }

  @Test
  void aFailingStreamIsReportedAndABusDropsTheWriter() throws Exception {
    OutputStream broken = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("broken pipe");
      }
    };
    NdjsonEventWriter writer = new NdjsonEventWriter(broken);
    MigrationEvent e = new MigrationEvents("m1", x -> { }).phaseStarted(Phase.PREFLIGHT);
    assertThatThrownBy(() -> writer.accept(e)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot write event 0 of migration m1");

    try (EventBus bus = new EventBus()) {
      Subscription s = bus.subscribe(null, false, writer);
      new MigrationEvents("m1", bus).phaseStarted(Phase.PREFLIGHT);
      assertThatThrownBy(() -> s.done().get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(SubscriberDroppedException.class)
          .hasRootCauseMessage("broken pipe");
    }
  }
}
