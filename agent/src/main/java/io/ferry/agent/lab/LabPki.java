package io.ferry.agent.lab;

import io.ferry.agent.daemon.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A throw-away certificate authority for tests and the lab, made with the {@code openssl} CLI:
 * EC P-256 keys in PKCS#8 PEM, a CA valid for two days, and leaf certificates naming the IP
 * addresses a daemon is reached at (the peer client checks them).
 */
public final class LabPki {
  private static final Duration OPENSSL = Duration.ofSeconds(30);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final Pattern IP = Pattern.compile("[0-9.]{7,15}|[0-9A-Fa-f:]{2,39}");

  private final Path dir;
  private final Path caKey;
  private final Path caCert;

  private LabPki(Path dir, Path caKey, Path caCert) {
    this.dir = dir;
    this.caKey = caKey;
    this.caCert = caCert;
  }

  /** A new CA in {@code dir} (created), named {@code name}. */
  public static LabPki create(Path dir, String name) throws IOException {
    requireName(name);
    Files.createDirectories(dir);
    Path key = dir.resolve(name + "-ca.key");
    Path cert = dir.resolve(name + "-ca.pem");
    genKey(dir, key);
    HostCommand.run(List.of("openssl", "req", "-x509", "-new", "-key", key.toString(),
        "-subj", "/CN=" + name, "-days", "2", "-out", cert.toString(),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign"), dir, OPENSSL);
    return new LabPki(dir, key, cert);
  }

  /** The CA certificate (what {@code --tls-ca} takes). */
  public Path authority() {
    return caCert;
  }

  /**
   * A leaf certificate and key signed by this CA, valid for server and client use, naming {@code
   * ipAddresses} as its subject alternative names; with this CA as the trusted authority.
   */
  public TlsFiles issue(String name, List<String> ipAddresses) throws IOException {
    requireName(name);
    if (ipAddresses.isEmpty()) {
      throw new IllegalArgumentException("a peer certificate must name at least one IP address");
    }
    StringBuilder san = new StringBuilder("subjectAltName=");
    for (int i = 0; i < ipAddresses.size(); i++) {
      String ip = ipAddresses.get(i);
      if (!IP.matcher(ip).matches()) {
        throw new IllegalArgumentException("'" + ip + "' is not an IP address");
      }
      san.append(i == 0 ? "" : ",").append("IP:").append(ip);
    }
    Path key = dir.resolve(name + ".key");
    Path csr = dir.resolve(name + ".csr");
    Path cert = dir.resolve(name + ".pem");
    Path ext = dir.resolve(name + ".ext");
    genKey(dir, key);
    HostCommand.run(List.of("openssl", "req", "-new", "-key", key.toString(), "-subj", "/CN=" + name,
        "-out", csr.toString()), dir, OPENSSL);
    Files.writeString(ext, san + "\nbasicConstraints=CA:FALSE\n"
        + "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n");
    HostCommand.run(List.of("openssl", "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(),
        "-CAkey", caKey.toString(), "-CAcreateserial", "-days", "2", "-out", cert.toString(),
        "-extfile", ext.toString()), dir, OPENSSL);
    return new TlsFiles(cert, key, caCert);
  }

  private static void genKey(Path dir, Path key) {
    HostCommand.run(List.of("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-out", key.toString()), dir, OPENSSL);
  }

  private static void requireName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("'" + name + "' is not a certificate name (letters, digits, '.', '_', '-')");
    }
  }
}
