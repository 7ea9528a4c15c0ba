package io.ferry.nativetests.lab;

import io.ferry.agent.lab.GuestImage;
import io.ferry.agent.lab.LabVm;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link OrphanCleanupTest}: starts a paused lab QEMU, prints its pid, and
 * waits to be killed.
 */
public final class OrphanLauncherMain {
  private OrphanLauncherMain() {}

  public static void main(String[] args) throws Exception {
    GuestImage image = new GuestImage(Path.of(args[0]), Path.of(args[1]), "test");
    LabVm vm = LabVm.builder("orphan", Path.of(args[2]), image).paused(true).start();
    System.out.println("QEMU-PID " + vm.pid());
    System.out.flush();
    Thread.currentThread().join(); // until SIGKILL
  }
}
