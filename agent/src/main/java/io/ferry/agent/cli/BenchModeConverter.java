package io.ferry.agent.cli;

import io.ferry.agent.bench.BenchMode;
import picocli.CommandLine.ITypeConverter;

/** Reads a bench mode by its spelling ({@code unplug-replug}, {@code failover}, {@code plain}). */
final class BenchModeConverter implements ITypeConverter<BenchMode> {
  @Override
  public BenchMode convert(String value) {
    return BenchMode.fromWire(value);
  }
}
