package io.ferry.agent.migration;

/** A migration was refused before anything was touched (e.g. its source is already migrating). */
public final class MigrationRefusedException extends RuntimeException {
  public MigrationRefusedException(String message) {
    super(message);
  }
}
