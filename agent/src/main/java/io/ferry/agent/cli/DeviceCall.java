package io.ferry.agent.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import io.ferry.vfio.DeviceOperationException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One device operation ({@code prepare} or {@code release}) through the running daemon when there
 * is one, so it goes through the daemon's device journal, or done here otherwise. Either way the
 * result is the same JSON object the API answers.
 */
final class DeviceCall {
  /** The operation done in this process. */
  interface Local {
    Map<String, Object> run() throws DeviceOperationException, IOException;
  }

  private DeviceCall() {}

  /**
   * The operation's result ({@code body}, if any, is sent as the request's JSON), or empty once the reason it failed is printed as {@code ferry devices
   * OPERATION: reason}.
   */
  static Optional<Map<String, Object>> run(
      String operation, Optional<DaemonClient> daemon, String address, Object body, Local local, PrintWriter err) {
    try {
      if (daemon.isEmpty()) {
        return Optional.of(local.run());
      }
      DaemonClient.Reply r = daemon.get().post("/v1/devices/" + address + "/" + operation,
          body == null ? null : DevicesCommand.JSON.writeValueAsBytes(body));
      if (r.status() != 200) {
        return failed(operation, err, r.errorMessage());
      }
      return Optional.of(DevicesCommand.JSON.readValue(r.body(), new TypeReference<Map<String, Object>>() {}));
    } catch (DeviceOperationException e) {
      return failed(operation, err, e.getMessage());
    } catch (IOException e) {
      return failed(operation, err, "lost the daemon: " + e.getMessage());
    }
  }

  /** The steps taken, one per line, indented. */
  static void printSteps(Map<String, Object> result, PrintWriter out) {
    ((List<?>) result.get("steps")).forEach(step -> out.println("  " + step));
  }

  private static Optional<Map<String, Object>> failed(String operation, PrintWriter err, String message) {
    err.println("ferry devices " + operation + ": " + message);
    err.flush();
    return Optional.empty();
  }
}
