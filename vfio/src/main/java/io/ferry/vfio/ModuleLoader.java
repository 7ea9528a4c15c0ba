package io.ferry.vfio;

import java.io.IOException;

/** Loads a kernel module by name (modprobe on a host; the fake kernel simulates it in tests). */
public interface ModuleLoader {
  void load(String module) throws IOException;
}
