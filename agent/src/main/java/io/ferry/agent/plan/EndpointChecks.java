package io.ferry.agent.plan;

/** The plan rules that tie its endpoints and its uri together (each field is valid on its own). */
final class EndpointChecks {
  private EndpointChecks() {}

  /**
   * A destination with an {@code agent} is on another host: its daemon is driven over the peer
   * protocol, its {@code qmp} is a path on that host, and the stream must cross the network.
   */
  static void peerChecks(Problems problems, Endpoint source, Endpoint destination, MigrationUri uri) {
    if (source != null && source.agent().isPresent()) {
      problems.add("$.source.agent", "is not supported: the plan runs on the source host's own daemon;"
          + " only the destination may name an agent");
    }
    if (destination == null || destination.agent().isEmpty()) {
      return;
    }
    if (uri instanceof MigrationUri.Unix) {
      problems.add("$.uri", "must be tcp:HOST:PORT (an address of the destination host) when the"
          + " destination is a peer agent: a unix socket does not reach another host");
    }
  }

  static void crossChecks(Problems problems, Endpoint source, Endpoint destination, MigrationUri uri) {
    boolean remote = destination != null && destination.agent().isPresent();
    if (!remote && source != null && destination != null && source.qmp().equals(destination.qmp())) {
      problems.add(
          "$.destination.qmp",
          "is the same socket as $.source.qmp; source and destination must be different QEMUs");
    }
    if (uri instanceof MigrationUri.Unix unix) {
      for (Endpoint e : remote ? new Endpoint[] {source} : new Endpoint[] {source, destination}) {
        if (e != null && e.qmp().equals(unix.path())) {
          problems.add("$.uri", "is a QMP monitor socket of the plan; the migration stream needs"
              + " its own socket");
          break;
        }
      }
    }
  }
}
