package io.ferry.vfio.fake;

/** Thrown by the fake kernel right after a chosen write: the process "dies" between two steps. */
public final class SimulatedCrash extends Error {
  public SimulatedCrash(String where) {
    super("simulated crash after writing " + where);
  }
}
