package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.DevicePlan;
import io.ferry.agent.plan.Mode;
import io.ferry.qmp.MigrationInfo;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.VmStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Checks everything that can be checked before the source changes, then sets the migration
 * capabilities and parameters. Nothing it does alters the guest: a refusal here leaves both VMs
 * exactly as they were.
 */
final class Preflight {
  /** QEMU 7.2 caps max-bandwidth by default at 128 MiB/s; libvirt lifts it for every migration. */
  static final long UNCAPPED_BANDWIDTH = Long.MAX_VALUE;

  private final RunContext ctx;

  Preflight(RunContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Every read PREFLIGHT needs goes out at once (none of them changes anything), so the phase
   * costs one round trip of reads rather than a chain of them; the answers are then checked in a
   * fixed order, so the problem reported first does not depend on which reply came first.
   */
  CompletableFuture<Void> run() {
    CompletableFuture<VmStatus> sourceStatus = ctx.waitOn(ctx.source.queryStatus());
    CompletableFuture<String> destinationProblem = ctx.destination.problem();
    CompletableFuture<List<PciDeviceInfo>> pci = ctx.waitOn(ctx.source.queryPci());
    CompletableFuture<MigrationInfo> migration = ctx.waitOn(ctx.source.queryMigrate());
    SourceDeviceReader reader = new SourceDeviceReader(ctx.source);
    Map<String, CompletableFuture<SourceDevice>> reads = new LinkedHashMap<>();
    for (DevicePlan device : ctx.plan.devices()) {
      reads.put(device.id(), ctx.waitOn(reader.read(device.id())));
    }
    List<CompletableFuture<?>> all = new ArrayList<>(List.of(sourceStatus, destinationProblem, pci, migration));
    all.addAll(reads.values());
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .handle((v, error) -> null) // a failed read is reported below, in order
        .thenRun(
            () -> {
              checkStates(sourceStatus.join(), destinationProblem.join());
              acceptSourceDevices(pci.join(), reads);
              reportBlockers(migration.join());
            })
        .thenCompose(v -> configure());
  }

  private Void checkStates(VmStatus source, String destinationProblem) {
    List<String> problems = new ArrayList<>();
    if (!source.running()) {
      problems.add("the source VM is not running (status " + source.status() + ")");
    }
    if (destinationProblem != null) {
      problems.add(destinationProblem);
    }
    if (!problems.isEmpty()) {
      throw new PhaseFailure(Phase.PREFLIGHT, String.join("; ", problems));
    }
    return null;
  }

  /** Every planned device must be on the source; a read of one that is not is not reported. */
  private void acceptSourceDevices(
      List<PciDeviceInfo> pci, Map<String, CompletableFuture<SourceDevice>> reads) {
    List<String> missing = new ArrayList<>();
    for (DevicePlan device : ctx.plan.devices()) {
      if (pci.stream().noneMatch(d -> device.id().equals(d.qdevId()))) {
        missing.add(device.id());
      }
    }
    if (!missing.isEmpty()) {
      throw new PhaseFailure(
          Phase.PREFLIGHT, "no such PCI device on the source: " + String.join(", ", missing));
    }
    reads.forEach(
        (id, read) -> {
          SourceDevice device = read.join().onBus(SourceDeviceReader.busOf(id, pci));
          ctx.sourceDevices.put(id, device);
          if (!device.properties().containsKey("bus")) {
            ctx.events.warning(
                Phase.PREFLIGHT,
                id,
                "device is not behind a root port or bridge: it cannot be hot-plugged back",
                Map.of());
          }
        });
    if (ctx.plan.mode() == Mode.FAILOVER) {
      requireFailoverPairs();
    }
  }

  private void requireFailoverPairs() {
    List<String> unpaired = new ArrayList<>();
    ctx.sourceDevices.forEach(
        (id, device) -> {
          if (!device.properties().containsKey("failover_pair_id")) {
            unpaired.add(id);
          }
        });
    if (!unpaired.isEmpty()) {
      throw new PhaseFailure(
          Phase.PREFLIGHT,
          "failover mode needs primaries with failover_pair_id; these have none: "
              + String.join(", ", unpaired));
    }
  }

  /**
   * Tells which devices actually block the migration, where this QEMU says so. A plan that
   * unplugs a device that does not block it is allowed (the user may want the NIC gone for other
   * reasons), but warned about: it costs the guest its NIC for no reason QEMU knows of.
   */
  private void reportBlockers(MigrationInfo info) {
    List<String> reasons = info.blockedReasons();
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("blockedReasons", reasons);
    for (String id : ctx.sourceDevices.keySet()) {
      SourceDevice device = ctx.sourceDevices.get(id);
      Object host = device.properties().get("host");
      boolean named =
          reasons.stream()
              .anyMatch(r -> r.contains(id) || (host != null && r.contains(host.toString())));
      if (named) {
        ctx.events.device(Phase.PREFLIGHT, id, "blocks-migration", detail);
      } else if (reasons.isEmpty()) {
        ctx.events.warning(
            Phase.PREFLIGHT,
            id,
            "QEMU reports nothing blocking this migration; unplugging this device is not needed",
            detail);
      }
    }
  }

  private CompletableFuture<Void> configure() {
    Map<String, Boolean> capabilities = new LinkedHashMap<>(ctx.plan.migration().capabilities());
    capabilities.put("events", true); // MIGRATION events drive the state machine: always on
    Map<String, Object> parameters = new LinkedHashMap<>(ctx.plan.migration().parameters());
    parameters.putIfAbsent("max-bandwidth", UNCAPPED_BANDWIDTH);
    // Sent together: each monitor runs its commands in order, so the parameters still follow the
    // capabilities, without a round trip between them. The destination is prepared at the same
    // time (a local one the same way; a peer binds its devices and listens). allOf waits for all
    // even if one fails, so a failure is handled only once a peer destination has answered (its
    // abort then finds what it prepared).
    List<CompletableFuture<Void>> settings =
        List.of(
            ctx.waitOn(ctx.source.migrateSetCapabilities(capabilities)),
            ctx.waitOn(ctx.source.migrateSetParameters(parameters)),
            ctx.destination.prepare(capabilities, parameters));
    return CompletableFuture.allOf(settings.toArray(CompletableFuture[]::new))
        .handle((v, error) -> null)
        .thenRun(() -> settings.forEach(CompletableFuture::join)) // the first failure, in order
        .thenRun(
            () ->
                ctx.events.phaseDetail(
                    Phase.PREFLIGHT,
                    Map.of(
                        "capabilities", capabilities,
                        "parameters", parameters,
                        "devices", deviceSummary())));
  }

  private Map<String, Object> deviceSummary() {
    Map<String, Object> summary = new LinkedHashMap<>();
    ctx.sourceDevices.forEach((id, d) -> summary.put(id, d.properties()));
    return summary;
  }
}
