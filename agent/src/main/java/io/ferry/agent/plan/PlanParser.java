package io.ferry.agent.plan;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Parses and validates a migration plan (JSON). Every problem is reported at once, each with its
 * JSON path, in a {@link PlanValidationException}; nothing is touched before a plan is valid.
 */
public final class PlanParser {

  /** Largest accepted plan: 1 MiB. Real plans are a few hundred bytes. */
  public static final int MAX_BYTES = 1024 * 1024;

  private PlanParser() {}

  /** @throws PlanValidationException listing every problem */
  public static MigrationPlan parse(String json) {
    return parse(json.getBytes(StandardCharsets.UTF_8));
  }

  /** @throws PlanValidationException listing every problem */
  public static MigrationPlan parse(byte[] json) {
    if (json.length > MAX_BYTES) {
      throw tooLarge(json.length + " bytes");
    }
    Problems problems = new Problems();
    JsonNode root = JsonTreeReader.read(json, problems);
    if (root == null) {
      problems.throwIfAny();
      throw new IllegalStateException("unreadable plan without a recorded problem");
    }
    return PlanReader.read(root, problems);
  }

  /**
   * Reads at most {@link #MAX_BYTES} + 1 bytes from {@code in} (which stays open), then parses.
   *
   * @throws PlanValidationException listing every problem
   * @throws IOException when reading fails
   */
  public static MigrationPlan parse(InputStream in) throws IOException {
    byte[] json = in.readNBytes(MAX_BYTES + 1);
    if (json.length > MAX_BYTES) {
      throw tooLarge("more than " + MAX_BYTES + " bytes");
    }
    return parse(json);
  }

  private static PlanValidationException tooLarge(String size) {
    Problems problems = new Problems();
    problems.add(JsonPath.ROOT, "the plan is " + size + "; at most " + MAX_BYTES
        + " bytes (1 MiB) are accepted");
    return new PlanValidationException(problems.list());
  }
}
