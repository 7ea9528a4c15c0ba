package io.ferry.agent.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Collects plan problems, so validation can go on after the first one. */
final class Problems {

  private final List<PlanProblem> list = new ArrayList<>();

  void add(String path, String message) {
    list.add(new PlanProblem(path, message));
  }

  /**
   * Applies a checking parser to a value, turning its {@link IllegalArgumentException} into a
   * problem at {@code path}.
   *
   * @return the parsed value, or {@code null} when it was rejected
   */
  <T> T check(String path, String value, Function<String, T> parser) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      add(path, e.getMessage());
      return null;
    }
  }

  boolean isEmpty() {
    return list.isEmpty();
  }

  List<PlanProblem> list() {
    return List.copyOf(list);
  }

  void throwIfAny() {
    if (!list.isEmpty()) {
      throw new PlanValidationException(list);
    }
  }
}
