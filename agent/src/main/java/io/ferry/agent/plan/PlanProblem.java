package io.ferry.agent.plan;

import java.util.Objects;

/**
 * One thing wrong with a plan.
 *
 * @param path JSON path of the offending value, e.g. {@code $.devices[1].destination.host}
 * @param message what is wrong and what is accepted instead
 */
public record PlanProblem(String path, String message) {
  public PlanProblem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return path + ": " + message;
  }
}
