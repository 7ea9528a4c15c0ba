package io.ferry.vfio;

import java.io.IOException;

/** Asks the kernel's VFIO driver about a group (real ioctls on a host; simulated by the fake kernel). */
public interface GroupProbe {
  GroupStatus probe(int group) throws IOException;
}
