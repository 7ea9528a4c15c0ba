package io.ferry.agent.daemon;

/**
 * A complete (non-streaming) answer of the core: a status and either a value Jackson turns into
 * JSON, or plain text (the Prometheus exposition).
 */
public record ApiResponse(int status, Object json, String text) {

  public static ApiResponse json(int status, Object body) {
    return new ApiResponse(status, body, null);
  }

  public static ApiResponse text(String body) {
    return new ApiResponse(200, null, body);
  }
}
