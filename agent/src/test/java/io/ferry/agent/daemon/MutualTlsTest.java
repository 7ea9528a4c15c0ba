package io.ferry.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.agent.event.EventBus;
import io.ferry.agent.lab.LabPki;
import io.ferry.agent.peer.PeerClient;
import io.ferry.agent.peer.PeerReply;
import io.netty.handler.codec.http.HttpMethod;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's TCP listener for peers, for real on 127.0.0.1 with certificates made by openssl:
 * only a client presenting a certificate of the configured CA gets an answer.
 */
class MutualTlsTest {
  @TempDir static Path dir;

  private static EventBus bus;
  private static ExecutorService blocking;
  private static TlsListener listener;
  private static TlsFiles server;
  private static TlsFiles goodClient;
  private static TlsFiles rogueClient;
  private static URI agent;

  @BeforeAll
  static void start() throws Exception {
    LabPki ca = LabPki.create(dir.resolve("pki"), "ferry-test-ca");
    LabPki otherCa = LabPki.create(dir.resolve("other"), "another-ca");
    server = ca.issue("server", List.of("127.0.0.1"));
    goodClient = ca.issue("client", List.of("127.0.0.1"));
    rogueClient = otherCa.issue("rogue", List.of("127.0.0.1"));
    bus = new EventBus();
    blocking = Executors.newCachedThreadPool();
    listener = TlsListener.start(new InetSocketAddress("127.0.0.1", 0),
        new DaemonCore(bus, new FakeHost(dir.resolve("host")).devices, blocking), server);
    agent = URI.create("https://127.0.0.1:" + listener.address().getPort());
  }

  @AfterAll
  static void stop() {
    listener.close();
    bus.close();
    blocking.shutdown();
  }

  @Test
  void aPeerWithoutAClientCertificateIsRefused() throws Exception {
    Reply r = curl("--cacert", server.authority().toString());
    assertThat(r.httpCode()).as(r.toString()).isEqualTo("000");
    assertThat(r.exit()).as(r.toString()).isNotZero();
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    Reply r = curl("--cacert", server.authority().toString(),
        "--cert", rogueClient.certificate().toString(), "--key", rogueClient.privateKey().toString());
    assertThat(r.httpCode()).as(r.toString()).isEqualTo("000");
    assertThat(r.exit()).as(r.toString()).isNotZero();

    try (PeerClient rogue = new PeerClient(rogueClient.clientContext())) {
      assertThatThrownBy(() -> rogue.send(agent, HttpMethod.GET, "/healthz", null, Duration.ofSeconds(30)).get())
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void aCertificateOfTheCaIsServed() throws Exception {
    Reply r = curl("--cacert", server.authority().toString(),
        "--cert", goodClient.certificate().toString(), "--key", goodClient.privateKey().toString());
    assertThat(r.httpCode()).as(r.toString()).isEqualTo("200");
    assertThat(r.body()).contains("\"status\":\"ok\"");

    try (PeerClient peer = new PeerClient(goodClient.clientContext())) {
      PeerReply reply = peer.send(agent, HttpMethod.GET, "/healthz", null, Duration.ofSeconds(30)).get();
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.json().get("status").asText()).isEqualTo("ok");
      PeerReply missing = peer.send(agent, HttpMethod.GET, "/v1/nothing", null, Duration.ofSeconds(30)).get();
      assertThat(missing.status()).isEqualTo(404);
      assertThat(missing.errorMessage()).startsWith("not_found:");
    }
  }

  @Test
  void thePeerClientRefusesAServerWhoseCertificateDoesNotNameTheHostDialled() throws Exception {
    // Same CA, but the server is reached as localhost, a name its certificate does not carry.
    URI byName = URI.create("https://localhost:" + listener.address().getPort());
    try (PeerClient peer = new PeerClient(goodClient.clientContext())) {
      assertThatThrownBy(() -> peer.send(byName, HttpMethod.GET, "/healthz", null, Duration.ofSeconds(30)).get())
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void serveRefusesToListenWithoutAllThreeTlsOptionsAndUnreadableTlsFiles() throws Exception {
    Reply noTls = serve("--listen", "127.0.0.1:0");
    assertThat(noTls.exit()).isEqualTo(2);
    assertThat(noTls.body()).contains("mutual TLS only").contains("--tls-cert, --tls-key and --tls-ca");
    Reply partial = serve("--listen", "127.0.0.1:0", "--tls-cert", server.certificate().toString());
    assertThat(partial.exit()).isEqualTo(2);
    assertThat(partial.body()).contains("missing: --tls-key, --tls-ca");
    Reply unreadable = serve("--tls-cert", dir.resolve("missing.pem").toString(),
        "--tls-key", server.privateKey().toString(), "--tls-ca", server.authority().toString());
    assertThat(unreadable.exit()).isEqualTo(2);
    assertThat(unreadable.body()).contains("missing.pem does not exist or is not readable")
        .doesNotContain("\tat ");
    assertThat(Files.exists(dir.resolve("never.sock"))).as("nothing was started").isFalse();
  }

  record Reply(int exit, String httpCode, String body) {}

  private static Reply curl(String... tls) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-s", "-S", "--max-time", "30", "-w", "\n%{http_code}"));
    cmd.addAll(List.of(tls));
    cmd.add(agent + "/healthz");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    int cut = out.lastIndexOf('\n');
    return new Reply(p.exitValue(), out.substring(cut + 1).trim(), out.substring(0, Math.max(cut, 0)));
  }

  private static Reply serve(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.ferry.agent.cli.FerryMain", "serve",
        "--socket", dir.resolve("never.sock").toString(), "--journal", dir.resolve("j").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Reply(p.exitValue(), "", out);
  }
}
