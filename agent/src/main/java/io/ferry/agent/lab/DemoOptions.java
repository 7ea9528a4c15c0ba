package io.ferry.agent.lab;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the lab demo.
 *
 * @param guest how to obtain the guest
 * @param hotplug the PCI hotplug mechanism of the pair's root ports
 * @param accelerator TCG (works everywhere) or KVM
 * @param workDir where sockets and logs go; a fresh temporary directory when empty
 * @param keepWorkDir keep the work directory (console and QEMU logs) afterwards
 */
public record DemoOptions(
    GuestBuildOptions guest,
    Hotplug hotplug,
    Accelerator accelerator,
    Optional<Path> workDir,
    boolean keepWorkDir) {
  public DemoOptions {
    Objects.requireNonNull(guest, "guest");
    Objects.requireNonNull(hotplug, "hotplug");
    Objects.requireNonNull(accelerator, "accelerator");
    Objects.requireNonNull(workDir, "workDir");
  }

  public static DemoOptions defaults() {
    return new DemoOptions(
        GuestBuildOptions.defaults(), Hotplug.ACPI, Accelerator.TCG, Optional.empty(), false);
  }
}
