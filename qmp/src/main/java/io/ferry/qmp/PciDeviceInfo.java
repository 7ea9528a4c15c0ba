package io.ferry.qmp;

/**
 * One PCI function from {@code query-pci}, flattened over all buses (including devices behind
 * bridges and root ports). {@code qdevId} is empty for devices without an id; {@code
 * secondaryBus} is null unless the function is a bridge or root port.
 */
public record PciDeviceInfo(
    int bus,
    int slot,
    int function,
    String qdevId,
    int classCode,
    String classDescription,
    int vendorId,
    int deviceId,
    Integer secondaryBus) {}
