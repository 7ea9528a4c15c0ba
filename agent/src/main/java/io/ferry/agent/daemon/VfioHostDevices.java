package io.ferry.agent.daemon;

import io.ferry.agent.migration.HostDevices;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PrepareRequest;
import io.ferry.vfio.VfioDevices;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Incoming migrations bind the devices they name through the vfio module, off the event loops. */
public final class VfioHostDevices implements HostDevices {
  private final VfioDevices vfio;
  private final Executor blocking;

  /** @param blocking where the sysfs writes run; never a Netty event loop */
  public VfioHostDevices(VfioDevices vfio, Executor blocking) {
    this.vfio = vfio;
    this.blocking = blocking;
  }

  @Override
  public CompletableFuture<Void> prepare(String pciAddress) {
    return vfio.prepareAsync(PrepareRequest.of(PciAddress.parse(pciAddress)), blocking).thenApply(d -> null);
  }

  @Override
  public CompletableFuture<Void> release(String pciAddress) {
    return vfio.releaseAsync(PciAddress.parse(pciAddress), blocking).thenApply(d -> null);
  }
}
