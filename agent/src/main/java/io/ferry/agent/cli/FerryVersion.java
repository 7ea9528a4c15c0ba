package io.ferry.agent.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version recorded in the jar manifest (or "dev" when run from classes). */
public final class FerryVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = FerryMain.class.getPackage().getImplementationVersion();
    return new String[] {"ferry " + (version == null ? "dev" : version)};
  }
}
