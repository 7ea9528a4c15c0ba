package io.ferry.agent.daemon;

import java.util.List;
import java.util.Map;

/**
 * A request the daemon refuses: becomes {@code {"error":{"code":...,"message":...}}} with the
 * HTTP status. {@code code} is stable (clients switch on it); the message is for people.
 * {@code problems} lists every plan problem ({@code path}, {@code message}) when there are some.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final List<Map<String, String>> problems;

  public ApiException(int status, String code, String message) {
    this(status, code, message, List.of());
  }

  public ApiException(int status, String code, String message, List<Map<String, String>> problems) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.problems = List.copyOf(problems);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public List<Map<String, String>> problems() {
    return problems;
  }
}
