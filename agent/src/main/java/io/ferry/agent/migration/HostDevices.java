package io.ferry.agent.migration;

import java.util.concurrent.CompletableFuture;

/**
 * Binds and releases the host's passthrough devices (a destination's {@code host} PCI address)
 * for an incoming migration. The daemon backs it with the vfio module; both calls run off the
 * event loops (sysfs writes block).
 */
public interface HostDevices {
  /** Binds the device at {@code pciAddress} to vfio-pci and proves it usable. */
  CompletableFuture<Void> prepare(String pciAddress);

  /** Gives the device back to the driver it had before {@link #prepare}. */
  CompletableFuture<Void> release(String pciAddress);

  /** For a daemon that binds no devices: every prepare is refused with a clear reason. */
  static HostDevices none() {
    return new HostDevices() {
      @Override
      public CompletableFuture<Void> prepare(String pciAddress) {
        return CompletableFuture.failedFuture(new IllegalStateException(
            "this daemon does not bind host devices; cannot prepare " + pciAddress));
      }

      @Override
      public CompletableFuture<Void> release(String pciAddress) {
        return CompletableFuture.completedFuture(null);
      }
    };
  }
}
