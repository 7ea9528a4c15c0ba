package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;

/** A phase could not complete; carries the phase and a reason fit for the final event. */
final class PhaseFailure extends RuntimeException {
  private final Phase phase;

  PhaseFailure(Phase phase, String reason) {
    super(reason);
    this.phase = phase;
  }

  PhaseFailure(Phase phase, String reason, Throwable cause) {
    super(reason, cause);
    this.phase = phase;
  }

  Phase phase() {
    return phase;
  }
}
