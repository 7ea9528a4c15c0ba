package io.ferry.nativetests.qmp;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpDisconnectedException;
import io.ferry.qmp.QmpOptions;
import io.ferry.qmp.QmpProtocolException;
import io.ferry.qmp.QmpTimeoutException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Garbage, NUL bytes, a 20 MiB line, silence, junk ids: the client over a real epoll socket never
 * crashes, never hangs, and says what went wrong.
 */
class HostileServerBytesTest {
  private static final QmpOptions FAST =
      QmpOptions.defaults().withConnectTimeout(Duration.ofSeconds(2));
  private HostileServer server;
  private QmpClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
    try {
      f.get(15, SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }

  /** Negotiates, waits for one command, answers it with {@code reply}. */
  private CompletableFuture<JsonNode> commandAnsweredWith(byte[] reply) throws Exception {
    server =
        new HostileServer(
            peer -> {
              peer.negotiate();
              peer.readLine();
              peer.send(reply);
              peer.readLine(); // until the client hangs up
            });
    client = QmpClient.connect(server.socket(), FAST).get(5, SECONDS);
    return client.execute("query-status", null);
  }

  private void assertProtocolDisconnect(CompletableFuture<JsonNode> pending, String why)
      throws Exception {
    Throwable failure = failureOf(pending);
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class);
    assertThat(failure.getCause()).isInstanceOf(QmpProtocolException.class).hasMessageContaining(why);
    assertThat(client.disconnected().get(5, SECONDS)).isInstanceOf(QmpDisconnectedException.class);
    assertThat(client.isOpen()).isFalse();
    server.finished().get(15, SECONDS);
  }

  @Test
  void garbageLineDisconnectsWithAProtocolError() throws Exception {
    assertProtocolDisconnect(commandAnsweredWith("this is not json\r\n".getBytes()), "malformed JSON");
  }

  @Test
  void nulBytesDisconnectWithAProtocolError() throws Exception {
    assertProtocolDisconnect(commandAnsweredWith(new byte[] {0, 0, 0, '\r', '\n'}), "not a JSON object");
  }

  @Test
  void twentyMebibyteLineIsCutOffAtTheCap() throws Exception {
    byte[] line = new byte[20 * 1024 * 1024];
    java.util.Arrays.fill(line, (byte) 'x');
    line[0] = '"';
    assertProtocolDisconnect(commandAnsweredWith(line), "exceeds");
  }

  @Test
  void randomBytesNeverHangTheClient() throws Exception {
    byte[] noise = new byte[256 * 1024];
    new Random(42).nextBytes(noise);
    Throwable failure = failureOf(commandAnsweredWith(noise));
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class);
    assertThat(failure.getCause()).isInstanceOf(QmpProtocolException.class);
  }

  @Test
  void repliesWithForeignIdsAreIgnoredAndTheDeadlineStillFires() throws Exception {
    CountDownLatch answered = new CountDownLatch(1);
    server =
        new HostileServer(
            peer -> {
              peer.negotiate();
              String first = peer.readLine();
              peer.send("{\"return\": {}, \"id\": \"not-ours\"}\r\n{\"return\": {}, \"id\": 999999}\r\n");
              String second = peer.readLine();
              peer.send("{\"return\": {\"ok\": true}, \"id\": " + HostileServer.Peer.idOf(second) + "}\r\n");
              answered.countDown();
              peer.readLine();
            });
    client = QmpClient.connect(server.socket(), FAST).get(5, SECONDS);
    CompletableFuture<JsonNode> first = client.execute("query-status", null, Duration.ofMillis(300));
    assertThat(failureOf(first)).isInstanceOf(QmpTimeoutException.class);
    JsonNode second = client.execute("query-status", null).get(5, SECONDS);
    assertThat(second.path("ok").asBoolean()).isTrue();
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void serverThatNeverGreetsHitsTheConnectTimeout() throws Exception {
    server = new HostileServer(peer -> peer.readLine());
    Throwable failure =
        failureOf(
            QmpClient.connect(server.socket(), FAST.withConnectTimeout(Duration.ofMillis(500))));
    assertThat(failure).isInstanceOf(QmpTimeoutException.class).hasMessageContaining("negotiation");
  }

  @Test
  void garbageInsteadOfAGreetingFailsTheConnect() throws Exception {
    server = new HostileServer(peer -> {
      peer.send("\u0000garbage\r\n");
      peer.readLine();
    });
    Throwable failure = failureOf(QmpClient.connect(server.socket(), FAST));
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class);
    assertThat(failure.getCause()).isInstanceOf(QmpProtocolException.class);
  }

  @Test
  void aReplyBeforeTheGreetingFailsTheConnect() throws Exception {
    server = new HostileServer(peer -> {
      peer.send("{\"return\": {}, \"id\": 1}\r\n");
      peer.readLine();
    });
    Throwable failure = failureOf(QmpClient.connect(server.socket(), FAST));
    assertThat(failure.getCause()).isInstanceOf(QmpProtocolException.class).hasMessageContaining("greeting");
  }

  @Test
  void serverClosingAtOnceFailsTheConnectWithTheDisconnectException() throws Exception {
    server = new HostileServer(HostileServer.Peer::close);
    assertThat(failureOf(QmpClient.connect(server.socket(), FAST)))
        .isInstanceOf(QmpDisconnectedException.class);
  }

  @Test
  void missingSocketFailsTheConnectQuickly() throws Exception {
    Throwable failure =
        failureOf(QmpClient.connect(java.nio.file.Path.of("/nonexistent/ferry/qmp.sock"), FAST));
    assertThat(failure).isInstanceOf(QmpDisconnectedException.class).hasMessageContaining("cannot connect");
  }

  @Test
  void refusedNegotiationFailsTheConnectAndClosesTheSocket() throws Exception {
    CompletableFuture<String> afterRefusal = new CompletableFuture<>();
    server =
        new HostileServer(
            peer -> {
              peer.send(HostileServer.GREETING);
              String caps = peer.readLine();
              peer.send(
                  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": "
                      + HostileServer.Peer.idOf(caps)
                      + "}\r\n");
              afterRefusal.complete(String.valueOf(peer.readLine()));
            });
    Throwable failure = failureOf(QmpClient.connect(server.socket(), FAST));
    assertThat(failure).isInstanceOf(io.ferry.qmp.QmpCommandException.class).hasMessageContaining("qmp_capabilities");
    // The client hung up (end of stream) instead of leaving a half-open connection behind.
    assertThat(afterRefusal.get(5, SECONDS)).isEqualTo("null");
  }
}
