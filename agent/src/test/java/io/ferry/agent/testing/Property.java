package io.ferry.agent.testing;

import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A minimal property-test runner: checks a property on many generated inputs and, on failure,
 * names the seed and the input so the case can be replayed with {@code -Dferry.propertySeed=N}.
 * Each run uses a new seed unless one is given, so CI keeps exploring new inputs.
 */
public final class Property {

  private static final Long FIXED_SEED = Long.getLong("ferry.propertySeed");

  private Property() {}

  public static <T> void forAll(int tries, Function<Random, T> generator, Consumer<T> property) {
    long seed = FIXED_SEED != null ? FIXED_SEED : new Random().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < tries; i++) {
      T input = generator.apply(random);
      try {
        property.accept(input);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("property failed on try " + i + " (replay with -Dferry.propertySeed="
            + seed + ") for input: " + input, e);
      }
    }
  }

  /** A random string of up to {@code maxLength} characters drawn from {@code alphabet}. */
  public static String string(Random random, String alphabet, int maxLength) {
    int length = random.nextInt(maxLength + 1);
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  public static <T> T oneOf(Random random, T[] values) {
    return values[random.nextInt(values.length)];
  }
}
