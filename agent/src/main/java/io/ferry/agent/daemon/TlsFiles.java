package io.ferry.agent.daemon;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The daemon's mutual-TLS identity, from {@code --tls-cert}, {@code --tls-key} and {@code
 * --tls-ca} (PEM; the key in PKCS#8, as {@code openssl genpkey} writes it). The same files serve
 * both roles: the server that peers call, and the client the daemon uses to call its peers. Only
 * certificates chaining to the CA are trusted, either way.
 */
public record TlsFiles(Path certificate, Path privateKey, Path authority) {
  public TlsFiles {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(authority, "authority");
  }

  /**
   * The TLS files from the three options, all given or none.
   *
   * @return null when none is given
   * @throws IllegalArgumentException if only some are given, naming the missing ones
   */
  public static TlsFiles fromOptions(Path certificate, Path privateKey, Path authority) {
    if (certificate == null && privateKey == null && authority == null) {
      return null;
    }
    List<String> missing = new ArrayList<>();
    if (certificate == null) {
      missing.add("--tls-cert");
    }
    if (privateKey == null) {
      missing.add("--tls-key");
    }
    if (authority == null) {
      missing.add("--tls-ca");
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("mutual TLS needs --tls-cert, --tls-key and --tls-ca together; missing: "
          + String.join(", ", missing));
    }
    return new TlsFiles(certificate, privateKey, authority);
  }

  /** A server context that requires a client certificate chaining to the CA. */
  public SslContext serverContext() throws IOException {
    requireReadable();
    try {
      return SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile())
          .trustManager(authority.toFile())
          .clientAuth(ClientAuth.REQUIRE)
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException("cannot use the TLS files " + this.describe() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A client context presenting the daemon's certificate, trusting only the CA, and checking the
   * peer's certificate names the host it was reached at (so a stolen peer certificate cannot stand
   * in for another host).
   */
  public SslContext clientContext() throws IOException {
    requireReadable();
    try {
      return SslContextBuilder.forClient()
          .keyManager(certificate.toFile(), privateKey.toFile())
          .trustManager(authority.toFile())
          .endpointIdentificationAlgorithm("HTTPS")
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException("cannot use the TLS files " + this.describe() + ": " + e.getMessage(), e);
    }
  }

  private void requireReadable() throws IOException {
    for (Path p : List.of(certificate, privateKey, authority)) {
      if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
        throw new IOException("TLS file " + p + " does not exist or is not readable");
      }
    }
  }

  private String describe() {
    return "(cert " + certificate + ", key " + privateKey + ", ca " + authority + ")";
  }
}
