package io.ferry.qmp;

import java.time.Duration;
import java.util.Objects;

/**
 * Connection settings.
 *
 * @param connectTimeout bound on connect + greeting + capabilities negotiation
 * @param defaultCommandTimeout deadline of a command executed without an explicit one
 * @param enableOob ask for out-of-band execution (only honoured if QEMU offers it); commands the
 *     schema marks {@code allow-oob} are then sent with {@code exec-oob}
 * @param maxInFlight in-band commands on the wire at once; the rest wait in a queue
 * @param maxFrameBytes largest frame accepted from QEMU; a bigger one closes the connection
 */
public record QmpOptions(
    Duration connectTimeout,
    Duration defaultCommandTimeout,
    boolean enableOob,
    int maxInFlight,
    int maxFrameBytes) {

  public static final int DEFAULT_MAX_FRAME_BYTES = 10 * 1024 * 1024;

  public QmpOptions {
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(defaultCommandTimeout, "defaultCommandTimeout");
    if (connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connectTimeout must be positive: " + connectTimeout);
    }
    if (defaultCommandTimeout.isNegative() || defaultCommandTimeout.isZero()) {
      throw new IllegalArgumentException(
          "defaultCommandTimeout must be positive: " + defaultCommandTimeout);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
    }
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 1024: " + maxFrameBytes);
    }
  }

  /** 5 s connect, 30 s per command, no oob, 8 in flight, 10 MiB frames. */
  public static QmpOptions defaults() {
    return new QmpOptions(
        Duration.ofSeconds(5), Duration.ofSeconds(30), false, 8, DEFAULT_MAX_FRAME_BYTES);
  }

  public QmpOptions withConnectTimeout(Duration value) {
    return new QmpOptions(value, defaultCommandTimeout, enableOob, maxInFlight, maxFrameBytes);
  }

  public QmpOptions withDefaultCommandTimeout(Duration value) {
    return new QmpOptions(connectTimeout, value, enableOob, maxInFlight, maxFrameBytes);
  }

  public QmpOptions withEnableOob(boolean value) {
    return new QmpOptions(connectTimeout, defaultCommandTimeout, value, maxInFlight, maxFrameBytes);
  }

  public QmpOptions withMaxInFlight(int value) {
    return new QmpOptions(connectTimeout, defaultCommandTimeout, enableOob, value, maxFrameBytes);
  }

  public QmpOptions withMaxFrameBytes(int value) {
    return new QmpOptions(connectTimeout, defaultCommandTimeout, enableOob, maxInFlight, value);
  }
}
