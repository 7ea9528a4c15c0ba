package io.ferry.agent.plan;

/** Validates a plan that was not made by {@link PlanParser} or the builder. */
public final class PlanValidation {

  private PlanValidation() {}

  /**
   * Runs the parser's validation on a plan built by hand (through its JSON form, so the rules and
   * the problem paths are exactly the parser's).
   *
   * @return the validated plan: equal to the argument, except that integral values held as
   *     {@code Integer}/{@code Short}/{@code Byte} come back as {@code Long} and {@code Float} as
   *     {@code Double}, and paths are normalised
   * @throws PlanValidationException listing every problem
   */
  public static MigrationPlan check(MigrationPlan plan) {
    return PlanReader.read(PlanJson.toTree(plan));
  }
}
