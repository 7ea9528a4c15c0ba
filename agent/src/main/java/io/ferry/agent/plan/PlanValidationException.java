package io.ferry.agent.plan;

import java.util.List;
import java.util.stream.Collectors;

/** A plan was rejected; carries every problem found, in document order. */
public final class PlanValidationException extends RuntimeException {

  private final List<PlanProblem> problems;

  public PlanValidationException(List<PlanProblem> problems) {
    super(describe(problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a rejected plan must have at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  public List<PlanProblem> problems() {
    return problems;
  }

  private static String describe(List<PlanProblem> problems) {
    return "invalid migration plan ("
        + problems.size()
        + (problems.size() == 1 ? " problem" : " problems")
        + "):\n"
        + problems.stream().map(p -> "  " + p).collect(Collectors.joining("\n"));
  }
}
