package io.ferry.agent.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** A peer daemon's complete answer: HTTP status and body. */
public record PeerReply(int status, byte[] body) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public boolean ok() {
    return status >= 200 && status < 300;
  }

  public JsonNode json() {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("the peer's answer is not JSON: " + text(), e);
    }
  }

  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * The peer's own error message ({@code {"error":{"code","message"}}}), or the raw body if it is
   * not one.
   */
  public String errorMessage() {
    try {
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        return error.path("code").asText() + ": " + error.path("message").asText();
      }
    } catch (IOException notJson) {
      // fall through to the raw body
    }
    return "HTTP " + status + " " + text();
  }
}
