package io.ferry.agent.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Settings of a lab VM; {@link #copy()} gives the destination of a pair the same machine. */
public final class LabVmBuilder {
  private String name;
  private Path workDir;
  private final GuestImage image;
  private int memoryMiB = 256;
  private int smp = 1;
  private Accelerator accelerator = Accelerator.TCG;
  private int rootPorts = 2;
  private final List<String> devices = new ArrayList<>();
  private final List<String> kernelArgs = new ArrayList<>();
  private final List<String> extraQemuArgs = new ArrayList<>();
  private Hotplug hotplug = Hotplug.ACPI;
  private boolean incoming;
  private boolean paused;
  private boolean intelIommu;
  private boolean shareHostRoot;
  private Duration startDeadline = Duration.ofSeconds(20);
  private final List<String> launchPrefix = new ArrayList<>();

  LabVmBuilder(String name, Path workDir, GuestImage image) {
    this.name = requireName(name);
    this.workDir = Objects.requireNonNull(workDir, "workDir");
    this.image = Objects.requireNonNull(image, "image");
  }

  /** A builder with the same settings; devices and incoming/paused are copied too. */
  public LabVmBuilder copy() {
    LabVmBuilder copy = new LabVmBuilder(name, workDir, image);
    copy.memoryMiB = memoryMiB;
    copy.smp = smp;
    copy.accelerator = accelerator;
    copy.rootPorts = rootPorts;
    copy.devices.addAll(devices);
    copy.kernelArgs.addAll(kernelArgs);
    copy.extraQemuArgs.addAll(extraQemuArgs);
    copy.hotplug = hotplug;
    copy.incoming = incoming;
    copy.paused = paused;
    copy.intelIommu = intelIommu;
    copy.shareHostRoot = shareHostRoot;
    copy.startDeadline = startDeadline;
    copy.launchPrefix.addAll(launchPrefix);
    return copy;
  }

  public LabVmBuilder name(String name) {
    this.name = requireName(name);
    return this;
  }

  public LabVmBuilder workDir(Path workDir) {
    this.workDir = Objects.requireNonNull(workDir, "workDir");
    return this;
  }

  public LabVmBuilder memoryMiB(int memoryMiB) {
    if (memoryMiB < 64) {
      throw new IllegalArgumentException("memory must be at least 64 MiB, got " + memoryMiB);
    }
    this.memoryMiB = memoryMiB;
    return this;
  }

  public LabVmBuilder smp(int smp) {
    if (smp < 1) {
      throw new IllegalArgumentException("smp must be at least 1, got " + smp);
    }
    this.smp = smp;
    return this;
  }

  public LabVmBuilder accelerator(Accelerator accelerator) {
    this.accelerator = Objects.requireNonNull(accelerator);
    return this;
  }

  /** PCIe root ports {@code rp1..rpN} (chassis 1..N) for hotpluggable devices. */
  public LabVmBuilder rootPorts(int count) {
    if (count < 0 || count > 32) {
      throw new IllegalArgumentException("root ports must be 0..32, got " + count);
    }
    this.rootPorts = count;
    return this;
  }

  /** A raw {@code -device} value, e.g. {@code e1000e,id=hostnet1,bus=rp1,mac=...,romfile=}. */
  public LabVmBuilder device(String device) {
    if (device == null || device.isBlank()) {
      throw new IllegalArgumentException("device must not be blank");
    }
    devices.add(device);
    return this;
  }

  public LabVmBuilder clearDevices() {
    devices.clear();
    return this;
  }

  /** An extra guest kernel option, e.g. {@code intel_iommu=on} or {@code ferry.exec=/x.sh}. */
  public LabVmBuilder kernelArg(String arg) {
    if (arg == null || arg.isBlank() || arg.contains(" ")) {
      throw new IllegalArgumentException("one kernel option without spaces, got '" + arg + "'");
    }
    kernelArgs.add(arg);
    return this;
  }

  /** Raw extra QEMU arguments, for what the builder does not model. */
  public LabVmBuilder qemuArgs(String... args) {
    extraQemuArgs.addAll(List.of(args));
    return this;
  }

  public LabVmBuilder hotplug(Hotplug hotplug) {
    this.hotplug = Objects.requireNonNull(hotplug);
    return this;
  }

  /**
   * A running guest that never completes a PCI unplug: native PCIe hotplug with a guest kernel
   * that does not drive it ({@code pcie_ports=compat}, so no pciehp).
   */
  public LabVmBuilder refusingUnplug() {
    hotplug(Hotplug.NATIVE);
    return kernelArg("pcie_ports=compat");
  }

  /**
   * A command QEMU is started through, e.g. {@code ip netns exec NS} to run it in a network
   * namespace; it must exec QEMU in place (so QEMU stays the guarded direct child).
   */
  public LabVmBuilder launchPrefix(List<String> prefix) {
    launchPrefix.clear();
    launchPrefix.addAll(prefix);
    return this;
  }

  /** A migration destination: paused, waiting for {@code migrate-incoming} ({@code -incoming defer}). */
  public LabVmBuilder incoming(boolean incoming) {
    this.incoming = incoming;
    return this;
  }

  /** Start with the CPUs stopped ({@code -S}); {@code cont} starts the guest. */
  public LabVmBuilder paused(boolean paused) {
    this.paused = paused;
    return this;
  }

  /**
   * An emulated Intel IOMMU ({@code intel-iommu,intremap=on,caching-mode=on} with {@code
   * kernel-irqchip=split}) and the guest option {@code intel_iommu=on}, so the guest kernel
   * can drive vfio-pci.
   */
  public LabVmBuilder intelIommu(boolean intelIommu) {
    this.intelIommu = intelIommu;
    return this;
  }

  /**
   * Shares the host's root file system read-only with the guest over virtio-9p (tag {@code
   * hostroot}), for {@code ferry.exec=}. Note: QEMU refuses to migrate a guest with it mounted.
   */
  public LabVmBuilder shareHostRoot(boolean shareHostRoot) {
    this.shareHostRoot = shareHostRoot;
    return this;
  }

  public LabVmBuilder startDeadline(Duration startDeadline) {
    this.startDeadline = Objects.requireNonNull(startDeadline);
    return this;
  }

  public boolean isIncoming() {
    return incoming;
  }

  public String vmName() {
    return name;
  }

  public Path vmWorkDir() {
    return workDir;
  }

  public GuestImage image() {
    return image;
  }

  public int memoryMiB() {
    return memoryMiB;
  }

  public Accelerator accelerator() {
    return accelerator;
  }

  public Hotplug hotplug() {
    return hotplug;
  }

  /** The guest kernel's command line these settings give (QEMU's {@code -append}). */
  public String kernelCommandLine() {
    // no_timer_check: under TCG on a busy host the boot-time IO-APIC timer check can miss its
    // ticks and panic ("IO-APIC + timer doesn't work"); VMs routinely skip it.
    List<String> append = new ArrayList<>(List.of("console=ttyS0", "panic=-1", "quiet", "no_timer_check"));
    if (intelIommu) {
      append.add("intel_iommu=on");
    }
    append.addAll(kernelArgs);
    return String.join(" ", append);
  }

  /** The QEMU command line these settings give (without the setpriv guard). */
  public List<String> qemuCommand() {
    List<String> args = new ArrayList<>();
    args.add("qemu-system-x86_64");
    args.addAll(List.of("-name", name, "-no-user-config", "-nodefaults", "-display", "none", "-no-reboot"));
    args.addAll(List.of("-machine", "q35" + (intelIommu ? ",kernel-irqchip=split" : "")));
    args.addAll(List.of("-accel", accelerator.qemuName()));
    args.addAll(List.of("-m", TcgMigrationSafeMemory.qemuValue(accelerator, memoryMiB), "-smp", Integer.toString(smp)));
    args.addAll(List.of("-kernel", image.kernel().toString(), "-initrd", image.initrd().toString()));
    args.addAll(List.of("-append", kernelCommandLine()));
    // ttyS0: the console on QEMU's stdio. ttyS1: the heartbeat, alone on its socket.
    args.addAll(List.of("-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console"));
    args.addAll(
        List.of(
            "-chardev",
            "socket,id=heartbeat,path=" + LabVm.heartbeatSocket(workDir, name) + ",server=on,wait=off",
            "-serial",
            "chardev:heartbeat"));
    args.addAll(
        List.of(
            "-chardev",
            "socket,id=qmp,path=" + LabVm.qmpSocket(workDir, name) + ",server=on,wait=off",
            "-mon",
            "chardev=qmp,mode=control"));
    // A second monitor for the agent under test (ferry itself, or the user's own agent): QEMU
    // serves one client per monitor, and the lab keeps the first for its own checks.
    args.addAll(
        List.of(
            "-chardev",
            "socket,id=agentqmp,path=" + LabVm.agentQmpSocket(workDir, name) + ",server=on,wait=off",
            "-mon",
            "chardev=agentqmp,mode=control"));
    if (intelIommu) {
      args.addAll(List.of("-device", "intel-iommu,intremap=on,caching-mode=on"));
    }
    args.addAll(hotplug.qemuArguments());
    for (int port = 1; port <= rootPorts; port++) {
      args.addAll(List.of("-device", "pcie-root-port,id=rp" + port + ",bus=pcie.0,chassis=" + port));
    }
    for (String device : devices) {
      args.addAll(List.of("-device", device));
    }
    if (shareHostRoot) {
      args.addAll(
          List.of(
              "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
              "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"));
    }
    if (paused || incoming) {
      args.add("-S");
    }
    if (incoming) {
      args.addAll(List.of("-incoming", "defer"));
    }
    args.addAll(extraQemuArgs);
    return args;
  }

  /** Starts QEMU; completes once its QMP and heartbeat sockets accept connections. */
  public CompletableFuture<LabVm> startAsync() {
    return LabVmLauncher.start(name, workDir, qemuCommand(), launchPrefix, startDeadline);
  }

  /** {@link #startAsync()}, waiting for it on the caller's thread. */
  public LabVm start() {
    try {
      return startAsync().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  private static String requireName(String name) {
    if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      throw new IllegalArgumentException("a VM name is letters, digits, '_', '.', '-'; got '" + name + "'");
    }
    return name;
  }
}
