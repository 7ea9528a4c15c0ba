package io.ferry.nativetests.migration;

import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.lab.HeartbeatMonitor;
import io.ferry.agent.lab.HeartbeatSide;
import io.ferry.agent.lab.LabPair;
import io.ferry.agent.lab.LabVm;
import io.ferry.agent.lab.LabVmBuilder;
import io.ferry.agent.migration.Migration;
import io.ferry.agent.migration.MigrationOutcome;
import io.ferry.agent.migration.Migrator;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.MigrationPlanBuilder;
import io.ferry.nativetests.lab.LabGuest;
import io.ferry.qmp.PciDeviceInfo;
import io.ferry.qmp.QmpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.function.Consumer;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicBoolean;
import io.ferry.agent.event.Phase;
import io.ferry.agent.event.EventJson;
import java.util.regex.Pattern;

/**
 * A lab pair ready for an orchestrated migration: a running source guest with its ephemeral
 * devices, a paused incoming destination, a heartbeat watcher on both, and a {@link Migrator}
 * whose events are kept for assertions. The orchestrator uses the lab VMs' agent monitors; the
 * test's own checks use the lab monitors.
 */
final class MigrationLab implements AutoCloseable {
  static final Duration BOOT = Duration.ofSeconds(120);
  static final Duration MIGRATION = Duration.ofSeconds(180);

  final LabPair pair;
  final HeartbeatMonitor heartbeat;
  final List<MigrationEvent> events = Collections.synchronizedList(new ArrayList<>());
  private final List<Consumer<MigrationEvent>> hooks = new CopyOnWriteArrayList<>();
  final Migrator migrator =
      new Migrator(
          event -> {
            events.add(event);
            hooks.forEach(hook -> hook.accept(event));
          });

  /**
   * Runs {@code action} with the running migration once, on the first event that matches: the
   * orchestrator emits its events synchronously, so the action lands exactly at that step.
   */
  Migration startAndActOn(
      MigrationPlan plan,
      Predicate<MigrationEvent> when,
      Consumer<Migration> action) {
    AtomicReference<Migration> running = new AtomicReference<>();
    AtomicBoolean fired = new AtomicBoolean();
    hooks.add(
        event -> {
          Migration migration = running.get();
          if (migration != null && when.test(event) && fired.compareAndSet(false, true)) {
            action.accept(migration);
          }
        });
    Migration migration = migrator.start(plan);
    running.set(migration);
    return migration;
  }

  static Predicate<MigrationEvent> phaseStarted(Phase phase) {
    return e -> e.phase() == phase && e.kind() == EventKind.STARTED && e.device().isEmpty();
  }

  private MigrationLab(LabPair pair, HeartbeatMonitor heartbeat) {
    this.pair = pair;
    this.heartbeat = heartbeat;
  }

  /** An e1000e (romfile empty, so it could also migrate) for slot {@code n} on root port n. */
  static String nic(int n) {
    return "e1000e,id=hostnet" + n + ",bus=rp" + n + ",mac=" + mac(n) + ",romfile=";
  }

  static String mac(int n) {
    return String.format("52:54:00:00:00:%02x", 0x10 + n);
  }

  static MigrationLab start(
      Path workDir, String name, UnaryOperator<LabVmBuilder> machine, List<String> sourceDevices) {
    LabVmBuilder builder = machine.apply(LabVm.builder(name, workDir, LabGuest.image()).rootPorts(2));
    LabPair pair = LabPair.start(builder, sourceDevices);
    try {
      HeartbeatMonitor heartbeat =
          HeartbeatMonitor.connect(pair.source().heartbeatSocket(), pair.destination().heartbeatSocket());
      MigrationLab lab = new MigrationLab(pair, heartbeat);
      pair.source().awaitConsole(Pattern.compile("FERRY-READY"), BOOT).join();
      heartbeat.awaitCount(HeartbeatSide.SOURCE, 100, BOOT).join();
      for (String device : sourceDevices) {
        String mac = device.replaceAll(".*mac=([0-9a-f:]+).*", "$1");
        if (!mac.equals(device)) {
          pair.source().awaitConsole(Pattern.compile("FERRY-NICS: .*" + mac), BOOT).join();
        }
      }
      return lab;
    } catch (IOException e) {
      pair.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      pair.close();
      throw e;
    }
  }

  /** A plan over the agent monitors of this pair; add devices and settings, then build. */
  MigrationPlanBuilder plan() {
    return MigrationPlan.builder()
        .source(pair.source().agentQmpSocket())
        .destination(pair.destination().agentQmpSocket())
        .uri(pair.migrationUri());
  }

  MigrationOutcome migrate(MigrationPlan plan) {
    return run(migrator.start(plan));
  }

  static MigrationOutcome run(Migration migration) {
    try {
      return migration.outcome().get(MIGRATION.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("migration " + migration.id() + " did not end: " + e, e);
    }
  }

  QmpClient source() {
    return pair.source().qmp().join();
  }

  QmpClient destination() {
    return pair.destination().qmp().join();
  }

  List<String> pciIds(QmpClient qmp) {
    return qmp.queryPci().join().stream().map(PciDeviceInfo::qdevId).filter(id -> id != null && !id.isEmpty()).toList();
  }

  /** The guest (on whichever side it runs) reports a NIC with this MAC on its console. */
  void awaitGuestNic(LabVm vm, String mac, int fromLine) {
    vm.awaitConsole(Pattern.compile("FERRY-NICS: .*" + Pattern.quote(mac)), BOOT, fromLine).join();
  }

  List<MigrationEvent> events(EventKind kind) {
    synchronized (events) {
      return events.stream().filter(e -> e.kind() == kind).toList();
    }
  }

  String eventLog() {
    synchronized (events) {
      StringBuilder log = new StringBuilder();
      events.forEach(e -> log.append(EventJson.toLine(e)).append('\n'));
      return log.toString();
    }
  }

  @Override
  public void close() {
    try {
      heartbeat.close();
    } finally {
      pair.close();
    }
  }
}
