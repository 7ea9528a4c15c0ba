package io.ferry.agent.migration;

/** The caller cancelled the migration; the current phase stops and the rollback rules apply. */
public final class MigrationCancelledException extends RuntimeException {
  public MigrationCancelledException(String phase) {
    super("cancelled by request during " + phase);
  }
}
