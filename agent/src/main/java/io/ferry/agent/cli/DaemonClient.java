package io.ferry.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The CLI's side of the daemon's API: one HTTP/1.1 request per connection over the unix socket,
 * blocking (a command line has nothing else to do meanwhile). Understands exactly what the daemon
 * sends: responses with a Content-Length, and chunked streams of NDJSON lines. Public for tools
 * and tests that drive a daemon (the load check).
 */
public final class DaemonClient {
  static final ObjectMapper JSON = new ObjectMapper();
  // A daemon that does not answer its health check this fast is treated as absent.
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  private static final int MAX_HEADER_LINE = 8192;

  public record Reply(int status, String body) {
    public JsonNode json() throws IOException {
      return JSON.readTree(body);
    }

    /** The daemon's {@code error.message}, or the raw body when it is not a JSON error. */
    public String errorMessage() {
      try {
        JsonNode error = json().path("error");
        return error.isObject() ? error.path("message").asText() + " (" + error.path("code").asText() + ")" : body;
      } catch (IOException notJson) {
        return body;
      }
    }
  }

  private final Path socket;

  public DaemonClient(Path socket) {
    this.socket = socket;
  }

  public Path socket() {
    return socket;
  }

  /** True if a daemon listens on the socket and its {@code /healthz} answers 200 quickly. */
  public boolean answers() {
    CompletableFuture<Boolean> probe = CompletableFuture.supplyAsync(() -> {
      try {
        return get("/healthz").status() == 200;
      } catch (IOException e) {
        return false;
      }
    });
    try {
      return probe.get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      probe.cancel(true);
      return false;
    }
  }

  public Reply get(String path) throws IOException {
    return request("GET", path, null);
  }

  public Reply post(String path, byte[] json) throws IOException {
    return request("POST", path, json);
  }

  private Reply request(String method, String path, byte[] body) throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      send(ch, method, path, body);
      InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
      Head head = readHead(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      copyBody(in, head, out::write);
      return new Reply(head.status, out.toString(StandardCharsets.UTF_8));
    }
  }

  /**
   * GETs a stream and hands each line to {@code lines} as it arrives, until the daemon ends the
   * stream. A non-200 answer is returned whole (its body is the error) and no line is handed over.
   */
  public Reply stream(String path, Consumer<String> lines) throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      send(ch, "GET", path, null);
      InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
      Head head = readHead(in);
      if (head.status != 200) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        copyBody(in, head, out::write);
        return new Reply(head.status, out.toString(StandardCharsets.UTF_8));
      }
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      copyBody(in, head, b -> {
        if (b == '\n') {
          lines.accept(line.toString(StandardCharsets.UTF_8));
          line.reset();
        } else {
          line.write(b);
        }
      });
      return new Reply(200, line.toString(StandardCharsets.UTF_8));
    }
  }

  private static void send(SocketChannel ch, String method, String path, byte[] body) throws IOException {
    StringBuilder head = new StringBuilder()
        .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: ferry\r\nConnection: close\r\n");
    if (body != null) {
      head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    OutputStream out = Channels.newOutputStream(ch);
    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
    if (body != null) {
      out.write(body);
    }
    out.flush();
  }

  private record Head(int status, long contentLength, boolean chunked) {}

  private static Head readHead(InputStream in) throws IOException {
    String statusLine = line(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + statusLine);
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status line: " + statusLine, e);
    }
    long length = -1;
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
        chunked = true;
      }
    }
    return new Head(status, length, chunked);
  }

  private interface ByteSink {
    void write(int b) throws IOException;
  }

  /** The body's bytes, de-chunked, to {@code sink}; without a length, up to the end of the connection. */
  private static void copyBody(InputStream in, Head head, ByteSink sink) throws IOException {
    if (head.chunked) {
      // A stopping daemon closes its streams between two chunks: that ends the stream too.
      for (long size = chunkSize(in); size > 0; size = chunkSize(in)) {
        for (long i = 0; i < size; i++) {
          int b = in.read();
          if (b < 0) {
            throw new IOException("the daemon closed the stream in the middle of a chunk");
          }
          sink.write(b);
        }
        line(in); // the CRLF after each chunk
      }
      return;
    }
    for (long i = 0; head.contentLength < 0 || i < head.contentLength; i++) {
      int b = in.read();
      if (b < 0) {
        if (head.contentLength >= 0) {
          throw new IOException("the daemon closed the connection before the end of its answer");
        }
        return;
      }
      sink.write(b);
    }
  }

  /** The next chunk's size; 0 for the last chunk or the end of the connection. */
  private static long chunkSize(InputStream in) throws IOException {
    in.mark(1);
    if (in.read() < 0) {
      return 0;
    }
    in.reset();
    String line = line(in);
    int ext = line.indexOf(';');
    try {
      return Long.parseLong((ext < 0 ? line : line.substring(0, ext)).trim(), 16);
    } catch (NumberFormatException e) {
      throw new IOException("bad chunk size from the daemon: " + line, e);
    }
  }

  /** One CRLF- (or LF-) terminated line; the end of the stream ends it too. */
  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
      if (s.length() >= MAX_HEADER_LINE) {
        throw new IOException("header line from the daemon longer than " + MAX_HEADER_LINE + " bytes");
      }
      if (b != '\r') {
        s.append((char) b);
      }
    }
    return s.toString();
  }
}
