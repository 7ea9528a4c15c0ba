package io.ferry.agent.migration;

/** The outcome of one {@code device_add}: plugged, or why not. */
public record PlugResult(String device, boolean plugged, String error, long repliedAtEpochMicros) {
  static PlugResult plugged(String device) {
    return new PlugResult(device, true, null, ClockOffset.wallMicros());
  }

  static PlugResult failed(String device, String error) {
    return new PlugResult(device, false, error, ClockOffset.wallMicros());
  }
}
