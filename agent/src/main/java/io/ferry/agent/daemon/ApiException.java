package io.ferry.agent.daemon;

import java.util.List;
import java.util.Map;

/**
 * A request the daemon refuses: becomes {@code {"error":{"code":...,"message":...}}} with the
 * HTTP status. {@code code} is stable (clients switch on it); the message is for people.
 * {@code problems} lists every plan problem ({@code path}, {@code message}) when there are some;
 * {@code details} adds fields of the error object (e.g. a device operation's outcome and steps).
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final List<Map<String, String>> problems;
  private final Map<String, Object> details;

  public ApiException(int status, String code, String message) {
    this(status, code, message, List.of());
  }

  public ApiException(int status, String code, String message, List<Map<String, String>> problems) {
    this(status, code, message, problems, Map.of());
  }

  public ApiException(int status, String code, String message, Map<String, Object> details) {
    this(status, code, message, List.of(), details);
  }

  private ApiException(int status, String code, String message, List<Map<String, String>> problems,
      Map<String, Object> details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.problems = List.copyOf(problems);
    this.details = Map.copyOf(details);
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

  public Map<String, Object> details() {
    return details;
  }
}
