package io.ferry.agent.plan;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One side of a migration: the QMP monitor socket of its QEMU, and (for a later two-host issue) the
 * {@code https://host:port} of the ferry agent on that host.
 */
public record Endpoint(Path qmp, Optional<URI> agent) {
  public Endpoint {
    Objects.requireNonNull(qmp, "qmp");
    Objects.requireNonNull(agent, "agent");
  }

  /** A local endpoint: QMP socket only. */
  public static Endpoint local(Path qmp) {
    return new Endpoint(qmp, Optional.empty());
  }
}
