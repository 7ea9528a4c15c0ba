package io.ferry.testing;

import java.time.Duration;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A time-budgeted, seedable fuzz runner: generates inputs and checks a property on each until the
 * budget is spent. Every input comes from its own seed, so a failure names the one seed that
 * regenerates exactly that input: {@code -Dferry.fuzzSeed=N} replays it first (then goes on).
 * {@code -Dferry.fuzzSeconds=S} sets the budget (CI default: 20 s per target).
 */
public final class Fuzz {
  private static final Long FIXED_SEED = Long.getLong("ferry.fuzzSeed");
  private static final long SECONDS = Long.getLong("ferry.fuzzSeconds", 20);
  // Bytes that matter to JSON, HTTP and UTF-8 decoders.
  private static final int[] SPECIAL =
      {'{', '}', '[', ']', '"', ',', ':', '\\', '\n', '\r', ' ', 0, 0x7f, 0xc3, 0xff, '0', '-', 'e', '%', '/'};

  /** What one run covered, for the test log. */
  public record Report(String target, long runSeed, long tries, Duration spent) {}

  private Fuzz() {}

  /** The budget of one fuzz target: {@code ferry.fuzzSeconds} (20 s unless set). */
  public static Duration budget() {
    return Duration.ofSeconds(SECONDS);
  }

  public static <T> Report run(String target, Duration budget, Function<Random, T> generator, Consumer<T> property) {
    long runSeed = new Random().nextLong();
    Random seeds = new Random(runSeed);
    long start = System.nanoTime();
    long end = start + budget.toNanos();
    long tries = 0;
    do {
      long seed = tries == 0 && FIXED_SEED != null ? FIXED_SEED : seeds.nextLong();
      T input = generator.apply(new Random(seed));
      try {
        property.accept(input);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(target + ": property failed on try " + tries
            + " (replay with -Dferry.fuzzSeed=" + seed + ") for input: " + abbreviate(String.valueOf(input)), e);
      }
      tries++;
    } while (System.nanoTime() < end);
    Report report = new Report(target, runSeed, tries, Duration.ofNanos(System.nanoTime() - start));
    System.out.println("fuzz " + target + ": " + tries + " inputs in " + report.spent().toMillis()
        + " ms, run seed " + runSeed);
    return report;
  }

  /** A random pick. */
  @SafeVarargs
  public static <T> T oneOf(Random random, T... values) {
    return values[random.nextInt(values.length)];
  }

  /** {@code bytes} with 1 to 4 random edits: flip, insert, delete, duplicate a span, truncate. */
  public static byte[] mutate(Random random, byte[] bytes) {
    byte[] out = bytes;
    int edits = 1 + random.nextInt(4);
    for (int i = 0; i < edits; i++) {
      int at = out.length == 0 ? 0 : random.nextInt(out.length);
      switch (random.nextInt(5)) {
        case 0 -> {
          if (out.length > 0) {
            out = out.clone();
            out[at] = (byte) (out[at] ^ (1 << random.nextInt(8)));
          }
        }
        case 1 -> out = splice(out, at, at, new byte[] {(byte) SPECIAL[random.nextInt(SPECIAL.length)]});
        case 2 -> out = splice(out, at, Math.min(out.length, at + 1 + random.nextInt(8)), new byte[0]);
        case 3 -> {
          int len = Math.min(out.length - at, 1 + random.nextInt(32));
          byte[] span = java.util.Arrays.copyOfRange(out, at, at + Math.max(0, len));
          out = splice(out, at, at, span);
        }
        default -> out = java.util.Arrays.copyOf(out, at);
      }
    }
    return out;
  }

  private static byte[] splice(byte[] in, int from, int to, byte[] insert) {
    byte[] out = new byte[in.length - (to - from) + insert.length];
    System.arraycopy(in, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(in, to, out, from + insert.length, in.length - to);
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() > 2000 ? s.substring(0, 2000) + "... (" + s.length() + " chars)" : s;
  }
}
