package io.ferry.agent.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON bodies and the complete responses that carry them. */
final class ErrorBodies {
  static final ObjectMapper JSON = new ObjectMapper();

  private ErrorBodies() {}

  static Map<String, Object> error(ApiException e) {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("code", e.code());
    inner.put("message", e.getMessage());
    if (!e.problems().isEmpty()) {
      inner.put("problems", e.problems());
    }
    new java.util.TreeMap<>(e.details()).forEach(inner::putIfAbsent);
    return Map.of("error", inner);
  }

  static FullHttpResponse response(ApiException e) {
    return json(e.status(), error(e));
  }

  static FullHttpResponse json(int status, Object body) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("response bodies are plain maps and lists", ex);
    }
    return full(status, "application/json", append(bytes, (byte) '\n'));
  }

  static FullHttpResponse full(int status, String contentType, byte[] body) {
    FullHttpResponse r = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return r;
  }

  static FullHttpResponse text(String body) {
    return full(200, "text/plain; version=0.0.4; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
  }

  static void closeAfter(FullHttpResponse r) {
    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
  }

  private static byte[] append(byte[] a, byte b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = b;
    return out;
  }
}
