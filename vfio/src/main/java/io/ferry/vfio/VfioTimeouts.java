package io.ferry.vfio;

import java.time.Duration;

/**
 * Bounds of the waits sysfs forces on ferry.
 *
 * @param bind how long a driver has to appear on the device (and /dev/vfio/N to exist)
 * @param netdev how long a network driver has to re-create its interface after a release
 * @param pollInterval how often those conditions are re-read
 */
public record VfioTimeouts(Duration bind, Duration netdev, Duration pollInterval) {
  public static VfioTimeouts defaults() {
    return new VfioTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(10));
  }
}
