package io.ferry.nativetests.lab;

import io.ferry.agent.lab.GuestBuildException;
import io.ferry.agent.lab.GuestBuildOptions;
import io.ferry.agent.lab.GuestImage;
import io.ferry.agent.lab.GuestImageBuilder;
import io.ferry.nativetests.Prerequisites;

/** The lab guest for native tests: built (or found in the cache) once per test JVM. */
public final class LabGuest {
  private LabGuest() {}

  private static GuestImage image;

  public static synchronized GuestImage image() {
    Prerequisites.requireProgram("qemu-system-x86_64", "apt-get install qemu-system-x86");
    Prerequisites.requireProgram("setpriv", "apt-get install util-linux");
    if (image == null) {
      try {
        image = GuestImageBuilder.ensure(GuestBuildOptions.defaults());
      } catch (GuestBuildException e) {
        // Locally (not root, no package lists) this skips; in CI it fails.
        Prerequisites.require(false, "the lab guest: " + e.getMessage());
      }
    }
    return image;
  }
}
