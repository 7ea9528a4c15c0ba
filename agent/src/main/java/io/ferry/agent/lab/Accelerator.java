package io.ferry.agent.lab;

/** QEMU's accelerator. TCG works everywhere (and is what CI uses); KVM is far faster where usable. */
public enum Accelerator {
  TCG,
  KVM;

  String qemuName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
