/**
 * PCI devices through sysfs, binding to vfio-pci and back. Knows nothing of QMP.
 *
 * <p>Entry point: {@link io.ferry.vfio.VfioDevices} ({@code forHost(journalFile)}; {@code list},
 * {@code find}, {@code prepare(PrepareRequest)}, {@code release(PciAddress)}, {@code recover()},
 * {@code prepared()}). Devices are named only by {@link io.ferry.vfio.PciAddress}. Every change
 * is announced in the {@link io.ferry.vfio.Journal} first; failures surface as {@link
 * io.ferry.vfio.DeviceOperationException} with the steps done and undone. The kernel is reached
 * through {@link io.ferry.vfio.sysfs.SysFs}, {@link io.ferry.vfio.ModuleLoader}, {@link
 * io.ferry.vfio.VfControl} (rtnetlink) and {@link io.ferry.vfio.GroupProbe} (VFIO ioctls), so
 * tests substitute a fake kernel for all four.
 */
package io.ferry.vfio;
