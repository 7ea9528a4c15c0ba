package io.ferry.agent.bench;

import io.ferry.agent.event.MigrationFigures;
import io.ferry.agent.event.Result;
import io.ferry.agent.lab.HeartbeatGap;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.Migrator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

/**
 * Repeats ferry's main job on the local lab: one guest (or P with {@code --parallel P}, all
 * migrated at once by one {@link Migrator}), moved each run to a fresh incoming QEMU (each guest
 * boots once). What crosses depends on the {@link BenchMode}:
 * K e1000e unplugged and replugged, a failover pair, or nothing. Each run's figures come from the
 * orchestrator's result and the guest's heartbeat.
 */
public final class MigrationBench {
  static final String NIC = "hostnet1";
  static final String FAILOVER_PRIMARY = "hostdev0";
  private static final String FAILOVER_MAC = "52:54:00:00:00:42";
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final Duration RUN = Duration.ofSeconds(180);
  private static final Duration SLOT_ALLOWANCE = Duration.ofSeconds(30);

  private MigrationBench() {}

  /** The device ids unplugged and replugged (or, in failover, the primary) for these settings. */
  public static List<String> deviceIds(BenchSettings settings) {
    return switch (settings.mode()) {
      case PLAIN -> List.of();
      case FAILOVER -> List.of(FAILOVER_PRIMARY);
      case UNPLUG_REPLUG -> {
        List<String> ids = new ArrayList<>();
        for (int k = 1; k <= settings.devices(); k++) {
          ids.add("hostnet" + k);
        }
        yield ids;
      }
    };
  }

  /** The -device text of the unplugged NICs (none outside unplug-replug). */
  static List<String> deviceSpecs(BenchSettings settings) {
    List<String> specs = new ArrayList<>();
    if (settings.mode() == BenchMode.UNPLUG_REPLUG) {
      for (int k = 1; k <= settings.devices(); k++) {
        specs.add("e1000e,id=hostnet" + k + ",bus=rp" + k + ",mac=" + mac(k) + ",romfile=");
      }
    }
    return specs;
  }

  private static String mac(int k) {
    return String.format("52:54:00:00:00:%02x", 0x10 + k);
  }

  /**
   * Boots {@code settings.parallel()} guests (one per slot), then runs {@code settings.runs()}
   * times: each run migrates every slot's guest at once, all through one {@link Migrator}.
   *
   * @param machine the lab machine (guest, hotplug, accelerator); the devices are added here
   * @param settings runs, parallelism, mode, devices and migration tuning
   * @param onRun called after each run with its migrations' figures (one per slot) and the agent's memory
   */
  public static void run(LabVmBuilder machine, BenchSettings settings, Consumer<BenchRun> onRun)
      throws IOException {
    run(machine, settings, onRun, notes -> {});
  }

  /**
   * {@link #run(LabVmBuilder, BenchSettings, Consumer)}; with {@code --baseline libvirt}, {@code
   * onLibvirt} gets what the libvirt baseline ran and did not run once its domain is up.
   */
  public static void run(LabVmBuilder machine, BenchSettings settings, Consumer<BenchRun> onRun,
      Consumer<LibvirtBaseline.Notes> onLibvirt) throws IOException {
    LabVmBuilder base = machine.copy();
    if (settings.dirtyMbps() > 0) {
      base.kernelArg("ferry.dirty_mbps=" + settings.dirtyMbps());
    }
    LabVmBuilder first;
    List<Pattern> ready = new ArrayList<>();
    ready.add(Pattern.compile("FERRY-READY"));
    switch (settings.mode()) {
      case PLAIN -> first = base.copy();
      case FAILOVER -> {
        // Both sides carry the pair: QEMU hides the primary until the guest negotiates failover.
        base.rootPorts(2)
            .device("virtio-net-pci,id=standby0,bus=rp1,mac=" + FAILOVER_MAC + ",failover=on,romfile=")
            .device("e1000e,id=" + FAILOVER_PRIMARY + ",bus=rp2,mac=" + FAILOVER_MAC
                + ",failover_pair_id=standby0,romfile=");
        first = base.copy();
      }
      case UNPLUG_REPLUG -> {
        base.rootPorts(settings.devices());
        first = base.copy();
        deviceSpecs(settings).forEach(first::device);
        for (int k = 1; k <= settings.devices(); k++) {
          ready.add(Pattern.compile("FERRY-NICS: .*" + mac(k)));
        }
      }
      default -> throw new IllegalStateException(settings.mode().toString());
    }
    int slots = settings.parallel();
    // P guests share two TCG cores: booting and beating take longer in proportion.
    Duration boot = BOOT.plus(SLOT_ALLOWANCE.multipliedBy(slots));
    Duration flight = RUN.plus(SLOT_ALLOWANCE.multipliedBy(slots));
    List<BenchSlot> guests = new ArrayList<>();
    LibvirtGuest libvirt = null;
    try (MemorySampler memory = new MemorySampler()) {
      List<LabVm> booted = startAll(slots, s -> first.copy().name(BenchSlot.vmName(s, slots, "0")).incoming(false));
      for (int s = 1; s <= slots; s++) {
        guests.add(new BenchSlot(s, slots, booted.get(s - 1)));
      }
      for (BenchSlot guest : guests) {
        for (Pattern line : ready) {
          guest.current().awaitConsole(line, boot).join();
        }
      }
      Path rawScript = settings.rawBaseline() ? RawBaseline.install(guests.get(0).current().workDir()) : null;
      if (settings.libvirtBaseline()) {
        Path dir = guests.get(0).current().workDir();
        LibvirtDomain domain = libvirtDomain(base, settings, dir);
        libvirt = LibvirtGuest.create(
            LibvirtBaseline.virsh(LibvirtBaseline.searchPath(System.getenv("PATH"))), domain, dir, boot);
        onLibvirt.accept(libvirt.notes());
      }
      Migrator migrator = settings.ferryCpu() ? new Migrator(event -> {}).measuringOwnCpu() : new Migrator(event -> {});
      // Warm-up runs go through exactly the same steps; only their figures are dropped.
      for (int w = 1; w <= settings.warmup(); w++) {
        runOnce(migrator, guests, base, settings, 0, "w" + w, memory, boot, flight, ignored -> {});
        if (libvirt != null) {
          libvirt.detachAttach(flight);
        }
      }
      for (int run = 1; run <= settings.runs(); run++) {
        BenchRun done =
            runOnce(migrator, guests, base, settings, run, String.valueOf(run), memory, boot, flight, onRun);
        if (rawScript != null) {
          done = withRaw(done, guests.get(0), base, rawScript, settings, boot);
        }
        if (libvirt != null) {
          done = withLibvirt(done, libvirt, flight);
        }
        onRun.accept(done);
      }
    } catch (java.util.concurrent.CompletionException e) {
      throw new IOException(e.getCause() == null ? e.toString() : e.getCause().getMessage(), e);
    } finally {
      if (libvirt != null) {
        libvirt.close();
      }
      closeAll(guests);
    }
  }

  /** One run: every slot's guest migrated at once; on success each slot's guest lives on its new QEMU. */
  private static BenchRun runOnce(Migrator migrator, List<BenchSlot> guests, LabVmBuilder base,
      BenchSettings settings, int run, String tag, MemorySampler memory, Duration boot,
      Duration flight, Consumer<BenchRun> onRun) throws IOException {
    int slots = guests.size();
    List<LabVm> nexts = startAll(slots,
        s -> base.copy().name(BenchSlot.vmName(s, slots, tag)).incoming(true));
    List<BenchSlot.Prepared> prepared = new ArrayList<>();
    boolean moved = false;
    try {
      for (BenchSlot guest : guests) {
        prepared.add(guest.prepare(nexts.get(guest.slot() - 1), tag, settings, boot));
      }
      memory.start();
      List<CompletableFuture<Timed>> flights = new ArrayList<>();
      for (BenchSlot.Prepared p : prepared) {
        long start = System.nanoTime();
        flights.add(migrator.start(p.plan()).outcome()
            .thenApply(outcome -> new Timed(outcome, System.nanoTime() - start)));
      }
      CompletableFuture.allOf(flights.toArray(CompletableFuture[]::new))
          .get(flight.toSeconds(), TimeUnit.SECONDS);
      MemorySampler.RunMemory used = memory.stop();
      List<MigrationRunFigures> rows = new ArrayList<>();
      List<String> failed = new ArrayList<>();
      for (int i = 0; i < slots; i++) {
        MigrationOutcome outcome = flights.get(i).join().outcome();
        HeartbeatMonitor heartbeat = prepared.get(i).heartbeat();
        if (outcome.result() == Result.SUCCEEDED) {
          heartbeat.awaitCount(HeartbeatSide.DESTINATION, 100, boot).join();
        } else {
          failed.add("slot " + (i + 1) + " ended " + outcome.result() + ": " + outcome.reason());
        }
        rows.add(figures(run, i + 1, outcome, flights.get(i).join().wallNs(),
            heartbeat.switchoverGap().orElse(null)));
      }
      BenchRun done = new BenchRun(run, rows, used);
      if (!failed.isEmpty()) {
        onRun.accept(done);
        throw new IOException("run " + run + ": " + String.join("; ", failed));
      }
      for (int i = 0; i < slots; i++) {
        guests.get(i).moveTo(nexts.get(i));
      }
      moved = true;
      return done;
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("run " + run + " failed: " + e, e);
    } finally {
      prepared.forEach(BenchSlot.Prepared::close);
      if (!moved) {
        nexts.forEach(LabVm::close);
      }
    }
  }

  /** The floor, right after ferry's run on the same guest, which moves on once more (one slot only). */
  private static BenchRun withRaw(BenchRun done, BenchSlot guest, LabVmBuilder base, Path script,
      BenchSettings settings, Duration boot) throws IOException {
    MigrationRunFigures ferry = done.migrations().get(0);
    int run = done.run();
    LabVm rawNext = base.copy().name(guest.vmName(run + "-raw")).incoming(true).start();
    try {
      Map<String, Double> millis = new LinkedHashMap<>(ferry.millis());
      millis.putAll(raw(guest.current(), rawNext, script, settings, run, boot));
      guest.moveTo(rawNext);
      return new BenchRun(run, List.of(new MigrationRunFigures(run, ferry.slot(), ferry.result(), millis,
          ferry.figures())), done.memory());
    } catch (IOException | RuntimeException | InterruptedException e) {
      rawNext.close();
      throw new IOException("run " + run + ", raw baseline: " + e.getMessage(), e);
    }
  }

  /**
   * The libvirt domain of {@code --baseline libvirt}: the same guest image, kernel command line,
   * memory, accelerator, hotplug mechanism, root ports and e1000e (ids, MACs) as ferry's guest.
   */
  static LibvirtDomain libvirtDomain(LabVmBuilder base, BenchSettings settings, Path dir) {
    String name = "ferry-bench-" + ProcessHandle.current().pid() + "-"
        + Long.toHexString(System.nanoTime() & 0xffffL);
    List<LibvirtDomain.Nic> nics = new ArrayList<>();
    for (int k = 1; k <= settings.devices(); k++) {
      nics.add(new LibvirtDomain.Nic("hostnet" + k, mac(k), k));
    }
    return new LibvirtDomain(name, base.image().kernel().toAbsolutePath(), base.image().initrd().toAbsolutePath(),
        base.kernelCommandLine(), base.memoryMiB(), base.accelerator(), base.hotplug().qemuArguments(), nics,
        dir.resolve(name + ".console.log").toAbsolutePath(), dir.resolve(name + ".hb.sock").toAbsolutePath());
  }

  /** libvirt's detach and attach of the same NICs, right after ferry's run, as {@code libvirt ...} figures. */
  private static BenchRun withLibvirt(BenchRun done, LibvirtGuest libvirt, Duration deadline) throws IOException {
    MigrationRunFigures ferry = done.migrations().get(0);
    Map<String, Double> millis = new LinkedHashMap<>(ferry.millis());
    try {
      millis.putAll(libvirt.detachAttach(deadline));
    } catch (IOException e) {
      throw new IOException("run " + done.run() + ", libvirt baseline: " + e.getMessage(), e);
    }
    return new BenchRun(done.run(), List.of(new MigrationRunFigures(done.run(), ferry.slot(), ferry.result(), millis,
        ferry.figures())), done.memory());
  }

  /** Starts one QEMU per slot at once; if any fails, the others are stopped too. */
  private static List<LabVm> startAll(int slots, IntFunction<LabVmBuilder> vm) throws IOException {
    List<CompletableFuture<LabVm>> starting = new ArrayList<>();
    for (int s = 1; s <= slots; s++) {
      starting.add(vm.apply(s).startAsync());
    }
    try {
      CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    } catch (java.util.concurrent.CompletionException e) {
      starting.forEach(f -> f.thenAccept(LabVm::close));
      CompletableFuture.allOf(starting.stream().map(f -> f.exceptionally(x -> null))
          .toArray(CompletableFuture[]::new)).join();
      throw new IOException(e.getCause() == null ? e.toString() : e.getCause().getMessage(), e);
    }
    return starting.stream().map(CompletableFuture::join).toList();
  }

  private static void closeAll(List<BenchSlot> guests) {
    CompletableFuture.allOf(guests.stream().map(g -> g.current().closeAsync())
        .toArray(CompletableFuture[]::new)).exceptionally(x -> null).join();
  }

  private record Timed(MigrationOutcome outcome, long wallNs) {}

  private static Map<String, Double> raw(
      LabVm source, LabVm destination, Path script, BenchSettings settings, int run, Duration boot)
      throws IOException, InterruptedException {
    try (HeartbeatMonitor heartbeat =
        HeartbeatMonitor.connect(source.heartbeatSocket(), destination.heartbeatSocket())) {
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, boot).join();
      String uri = "unix:" + source.workDir().resolve("raw-" + run + ".mig.sock");
      // The same migration parameters ferry's plan gives QEMU, so that both move the same stream.
      Map<String, Object> parameters =
          BenchSlot.plan(settings, source, destination, uri).migration().parameters();
      Map<String, Double> raw = RawBaseline.migrate(script, source.agentQmpSocket(),
          destination.agentQmpSocket(), uri, parameters, deviceSpecs(settings));
      heartbeat.awaitCount(HeartbeatSide.DESTINATION, 100, boot).join();
      return raw;
    }
  }

  static MigrationRunFigures figures(int run, int slot, MigrationOutcome outcome, long wallNs, HeartbeatGap gap) {
    Map<String, Double> millis = new LinkedHashMap<>();
    MigrationFigures f = outcome.figures();
    if (f != null) {
      putMs(millis, MigrationRunFigures.DOWNTIME, f.downtimeMs());
      putMs(millis, MigrationRunFigures.TOTAL, f.totalTimeMs());
      putMs(millis, MigrationRunFigures.SETUP, f.setupTimeMs());
      putUs(millis, MigrationRunFigures.SWITCHOVER, f.switchoverGapUs());
      // With several devices the guest's loss is the longest absence among them.
      putUs(millis, MigrationRunFigures.ABSENCE,
          f.deviceAbsenceUs().values().stream().max(Long::compare).orElse(null));
      putUs(millis, MigrationRunFigures.OVERHEAD, f.ferryOverheadUs());
      putUs(millis, MigrationRunFigures.CPU, f.ferryCpuUs());
    }
    if (gap != null) {
      millis.put(MigrationRunFigures.HEARTBEAT, gap.length().toNanos() / 1e6);
    }
    millis.put(MigrationRunFigures.WALL, wallNs / 1e6);
    if (f != null) {
      f.phaseDurationsUs().forEach((phase, us) -> millis.put(MigrationRunFigures.PHASE + phase, us / 1000.0));
    }
    return new MigrationRunFigures(run, slot, outcome.result(), millis, f);
  }

  private static void putMs(Map<String, Double> into, String name, Long ms) {
    if (ms != null) {
      into.put(name, ms.doubleValue());
    }
  }

  private static void putUs(Map<String, Double> into, String name, Long us) {
    if (us != null) {
      into.put(name, us / 1000.0);
    }
  }
}
