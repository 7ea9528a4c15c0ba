package io.ferry.qmp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.qmp.transcripts.ReplayServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;

/** A client connected to a server replaying one of QEMU 7.2's recorded sessions (see TranscriptRecorder). */
abstract class ReplayClientTest {
  ReplayServer server;
  QmpClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  QmpClient connect(String transcript) throws Exception {
    return connect(transcript, QmpOptions.defaults());
  }

  QmpClient connect(String transcript, QmpOptions options) throws Exception {
    server = ReplayServer.replay(transcript);
    client = QmpClient.connect(server.socket(), options).get(5, SECONDS);
    return client;
  }

  /** A listener that ignores events and completes {@code closed} with why it was closed. */
  static QmpEventListener closedInto(CompletableFuture<Throwable> closed) {
    return new QmpEventListener() {
      @Override
      public void onEvent(QmpEvent event) {}

      @Override
      public void onClosed(Throwable reason) {
        closed.complete(reason);
      }
    };
  }

  static Throwable failureOf(CompletableFuture<?> future) {
    assertThatThrownBy(() -> future.get(5, SECONDS)).isInstanceOf(ExecutionException.class);
    try {
      future.get();
      throw new AssertionError("unreachable");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
