package io.ferry.agent.lab;

import io.ferry.qmp.QmpClient;
import io.ferry.qmp.QmpOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One lab QEMU: q35 with the lab guest, its console on QEMU's stdio (read by {@link ConsoleTail}),
 * the guest heartbeat on a second serial port behind a unix socket, QMP on another unix socket,
 * and N PCIe root ports {@code rp1..rpN} to hotplug devices into.
 *
 * <p>QEMU runs as a direct child of the JVM that dies with it (see {@link LabProcesses}).
 */
public final class LabVm implements AutoCloseable {
  /** How long {@link #close()} lets QEMU shut down in order before killing it. */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(3);
  /**
   * QEMU greets on its monitor only once its main loop runs, after loading the guest; on a busy
   * 2-core machine under TCG that took over 5 s (the QMP library's default).
   */
  static final Duration QMP_CONNECT_DEADLINE = Duration.ofSeconds(30);
  /** How long QMP {@code quit} may take before {@link #close()} falls back to signals. */
  static final Duration QUIT_DEADLINE = Duration.ofSeconds(1);

  private final String name;
  private final Path workDir;
  private final Process process;
  private final ConsoleTail console;
  private final OutputStream consoleInput;
  private final List<String> commandLine;
  private CompletableFuture<QmpClient> qmp;

  private LabVm(
      String name, Path workDir, Process process, ConsoleTail console, List<String> commandLine) {
    this.name = name;
    this.workDir = workDir;
    this.process = process;
    this.console = console;
    this.consoleInput = process.getOutputStream();
    this.commandLine = commandLine;
  }

  public static Builder builder(String name, Path workDir, GuestImage image) {
    return new Builder(name, workDir, image);
  }

  public String name() {
    return name;
  }

  public Path workDir() {
    return workDir;
  }

  public Path qmpSocket() {
    return qmpSocket(workDir, name);
  }

  /** The monitor reserved for the agent under test; the lab never connects to it. */
  public Path agentQmpSocket() {
    return agentQmpSocket(workDir, name);
  }

  public Path heartbeatSocket() {
    return heartbeatSocket(workDir, name);
  }

  public Path consoleLog() {
    return console.logFile();
  }

  /** QEMU's own stderr (warnings, errors), kept apart from the guest console. */
  public Path qemuLog() {
    return workDir.resolve(name + ".qemu.log");
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Completes with QEMU's exit code. */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /** The QEMU command line as started (the {@code setpriv} guard in front of it not shown). */
  public List<String> commandLine() {
    return commandLine;
  }

  /**
   * This VM's QMP connection, opened on first use and shared: QEMU serves one client per
   * monitor socket, so everyone using the lab VM goes through this one. {@link #close()} closes it.
   */
  public synchronized CompletableFuture<QmpClient> qmp() {
    if (qmp == null || qmp.isCompletedExceptionally()) {
      qmp = QmpClient.connect(qmpSocket(), QmpOptions.defaults().withConnectTimeout(QMP_CONNECT_DEADLINE));
    }
    return qmp;
  }

  /** Console lines so far; pass it to {@link #awaitConsole(Pattern, Duration, int)}. */
  public int consoleLineCount() {
    return console.lineCount();
  }

  public List<String> consoleLines() {
    return console.lines();
  }

  /**
   * The first console line (since boot) in which {@code pattern} is found; fails after {@code
   * deadline} or when QEMU exits first.
   */
  public CompletableFuture<String> awaitConsole(Pattern pattern, Duration deadline) {
    return console.await(pattern, deadline, 0);
  }

  /** Like {@link #awaitConsole(Pattern, Duration)}, counting only lines from {@code fromLine} on. */
  public CompletableFuture<String> awaitConsole(Pattern pattern, Duration deadline, int fromLine) {
    return console.await(pattern, deadline, fromLine);
  }

  /**
   * Stops QEMU: QMP {@code quit} over this VM's connection if it has one open, otherwise SIGTERM
   * (which QEMU handles the same way, and which needs no free monitor); SIGKILL if QEMU is still
   * there after a short grace. Java's reaper collects the process. Blocks until QEMU is gone.
   */
  @Override
  public void close() {
    closeAsync().join();
  }

  public CompletableFuture<Integer> closeAsync() {
    CompletableFuture<QmpClient> client;
    synchronized (this) {
      client = qmp;
    }
    CompletableFuture<Void> asked =
        client != null && client.isDone() && !client.isCompletedExceptionally() && process.isAlive()
            ? client.join().quit()
                .orTimeout(QUIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(error -> null)
                .thenCompose(quit -> process.onExit()
                    .completeOnTimeout(process, QUIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                .thenApply(exited -> null)
            : CompletableFuture.completedFuture(null);
    return asked
        .thenCompose(done -> LabProcesses.terminate(process, CLOSE_GRACE))
        .whenComplete(
            (code, error) -> {
              if (client != null) {
                client.thenAccept(QmpClient::close);
              }
              try {
                consoleInput.close();
              } catch (IOException ignored) {
                // QEMU is gone; the pipe with it
              }
            });
  }

  @Override
  public String toString() {
    return "LabVm[" + name + ", pid " + process.pid() + "]";
  }

  static Path agentQmpSocket(Path workDir, String name) {
    return workDir.resolve(name + ".agent.qmp.sock");
  }

  static Path qmpSocket(Path workDir, String name) {
    return workDir.resolve(name + ".qmp.sock");
  }

  static Path heartbeatSocket(Path workDir, String name) {
    return workDir.resolve(name + ".heartbeat.sock");
  }

  /** Settings of a lab VM; {@link #copy()} gives the destination of a pair the same machine. */
  public static final class Builder {
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

    private Builder(String name, Path workDir, GuestImage image) {
      this.name = requireName(name);
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      this.image = Objects.requireNonNull(image, "image");
    }

    /** A builder with the same settings; devices and incoming/paused are copied too. */
    public Builder copy() {
      Builder copy = new Builder(name, workDir, image);
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

    public Builder name(String name) {
      this.name = requireName(name);
      return this;
    }

    public Builder workDir(Path workDir) {
      this.workDir = Objects.requireNonNull(workDir, "workDir");
      return this;
    }

    public Builder memoryMiB(int memoryMiB) {
      if (memoryMiB < 64) {
        throw new IllegalArgumentException("memory must be at least 64 MiB, got " + memoryMiB);
      }
      this.memoryMiB = memoryMiB;
      return this;
    }

    public Builder smp(int smp) {
      if (smp < 1) {
        throw new IllegalArgumentException("smp must be at least 1, got " + smp);
      }
      this.smp = smp;
      return this;
    }

    public Builder accelerator(Accelerator accelerator) {
      this.accelerator = Objects.requireNonNull(accelerator);
      return this;
    }

    /** PCIe root ports {@code rp1..rpN} (chassis 1..N) for hotpluggable devices. */
    public Builder rootPorts(int count) {
      if (count < 0 || count > 32) {
        throw new IllegalArgumentException("root ports must be 0..32, got " + count);
      }
      this.rootPorts = count;
      return this;
    }

    /** A raw {@code -device} value, e.g. {@code e1000e,id=hostnet1,bus=rp1,mac=...,romfile=}. */
    public Builder device(String device) {
      if (device == null || device.isBlank()) {
        throw new IllegalArgumentException("device must not be blank");
      }
      devices.add(device);
      return this;
    }

    public Builder clearDevices() {
      devices.clear();
      return this;
    }

    /** An extra guest kernel option, e.g. {@code intel_iommu=on} or {@code ferry.exec=/x.sh}. */
    public Builder kernelArg(String arg) {
      if (arg == null || arg.isBlank() || arg.contains(" ")) {
        throw new IllegalArgumentException("one kernel option without spaces, got '" + arg + "'");
      }
      kernelArgs.add(arg);
      return this;
    }

    /** Raw extra QEMU arguments, for what the builder does not model. */
    public Builder qemuArgs(String... args) {
      extraQemuArgs.addAll(List.of(args));
      return this;
    }

    public Builder hotplug(Hotplug hotplug) {
      this.hotplug = Objects.requireNonNull(hotplug);
      return this;
    }

    /**
     * A running guest that never completes a PCI unplug: native PCIe hotplug with a guest kernel
     * that does not drive it ({@code pcie_ports=compat}, so no pciehp).
     */
    public Builder refusingUnplug() {
      hotplug(Hotplug.NATIVE);
      return kernelArg("pcie_ports=compat");
    }

    /**
     * A command QEMU is started through, e.g. {@code ip netns exec NS} to run it in a network
     * namespace; it must exec QEMU in place (so QEMU stays the guarded direct child).
     */
    public Builder launchPrefix(List<String> prefix) {
      launchPrefix.clear();
      launchPrefix.addAll(prefix);
      return this;
    }

    /** A migration destination: paused, waiting for {@code migrate-incoming} ({@code -incoming defer}). */
    public Builder incoming(boolean incoming) {
      this.incoming = incoming;
      return this;
    }

    /** Start with the CPUs stopped ({@code -S}); {@code cont} starts the guest. */
    public Builder paused(boolean paused) {
      this.paused = paused;
      return this;
    }

    /**
     * An emulated Intel IOMMU ({@code intel-iommu,intremap=on,caching-mode=on} with {@code
     * kernel-irqchip=split}) and the guest option {@code intel_iommu=on}, so the guest kernel
     * can drive vfio-pci.
     */
    public Builder intelIommu(boolean intelIommu) {
      this.intelIommu = intelIommu;
      return this;
    }

    /**
     * Shares the host's root file system read-only with the guest over virtio-9p (tag {@code
     * hostroot}), for {@code ferry.exec=}. Note: QEMU refuses to migrate a guest with it mounted.
     */
    public Builder shareHostRoot(boolean shareHostRoot) {
      this.shareHostRoot = shareHostRoot;
      return this;
    }

    public Builder startDeadline(Duration startDeadline) {
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
              "socket,id=heartbeat,path=" + heartbeatSocket(workDir, name) + ",server=on,wait=off",
              "-serial",
              "chardev:heartbeat"));
      args.addAll(
          List.of(
              "-chardev",
              "socket,id=qmp,path=" + qmpSocket(workDir, name) + ",server=on,wait=off",
              "-mon",
              "chardev=qmp,mode=control"));
      // A second monitor for the agent under test (ferry itself, or the user's own agent): QEMU
      // serves one client per monitor, and the lab keeps the first for its own checks.
      args.addAll(
          List.of(
              "-chardev",
              "socket,id=agentqmp,path=" + agentQmpSocket(workDir, name) + ",server=on,wait=off",
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
      List<Path> sockets =
          List.of(qmpSocket(workDir, name), agentQmpSocket(workDir, name), heartbeatSocket(workDir, name));
      try {
        HostPrerequisites.ensure(HostPrerequisites.forRunningVms(), line -> {});
      } catch (GuestBuildException missing) {
        return CompletableFuture.failedFuture(new LabException(missing.getMessage(), missing));
      }
      try {
        Files.createDirectories(workDir);
        for (Path socket : sockets) {
          if (socket.toString().length() > 107) {
            throw new LabException("socket path too long for a unix socket (max 107): " + socket);
          }
          Files.deleteIfExists(socket);
        }
      } catch (IOException e) {
        return CompletableFuture.failedFuture(new LabException("cannot prepare " + workDir + ": " + e, e));
      }
      List<String> command = qemuCommand();
      Path qemuLog = workDir.resolve(name + ".qemu.log");
      ProcessBuilder template =
          new ProcessBuilder()
              .directory(workDir.toFile())
              .redirectError(qemuLog.toFile())
              .redirectOutput(ProcessBuilder.Redirect.PIPE)
              .redirectInput(ProcessBuilder.Redirect.PIPE);
      String vmName = name;
      Path dir = workDir;
      Duration deadline = startDeadline;
      List<String> launched = new ArrayList<>(launchPrefix);
      launched.addAll(command);
      return LabProcesses.start(launched, template)
          .thenCompose(
              process -> {
                ConsoleTail console;
                try {
                  console = ConsoleTail.start(vmName, process.getInputStream(), dir.resolve(vmName + ".console.log"));
                } catch (IOException e) {
                  process.destroyForcibly();
                  throw new CompletionException(new LabException("cannot write the console log: " + e, e));
                }
                LabVm vm = new LabVm(vmName, dir, process, console, command);
                return SocketFiles.awaitCreated(sockets, process, deadline)
                    .handle(
                        (ready, error) -> {
                          if (error != null) {
                            vm.close();
                            throw new CompletionException(
                                new LabException(
                                    "QEMU " + vmName + " did not start: " + rootMessage(error) + "; " + tailOf(qemuLog),
                                    error));
                          }
                          return vm;
                        });
              });
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

  private static String rootMessage(Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage();
  }

  private static String tailOf(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return "QEMU said: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "no QEMU log";
    }
  }
}
