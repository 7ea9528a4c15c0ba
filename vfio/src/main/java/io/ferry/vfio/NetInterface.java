package io.ferry.vfio;

/** A network interface the kernel created for a PCI device, with its current MAC address. */
public record NetInterface(String name, String mac) {}
