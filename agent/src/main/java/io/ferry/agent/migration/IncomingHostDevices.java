package io.ferry.agent.migration;

import io.ferry.agent.event.Phase;
import io.ferry.agent.journal.JournalStep;
import io.ferry.agent.plan.DevicePlan;
import io.ferry.agent.plan.MigrationPlan;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The host devices one incoming migration binds for its destination QEMU (those its plan gives a
 * {@code host} address), and their release. Each binding change is journaled around the action
 * (intent before, fact after), so that a restarted daemon knows which ones it must give back.
 */
final class IncomingHostDevices {
  private final HostDevices devices;
  private final RunEvents events;
  private final RunJournal journal;
  private final List<String> prepared = Collections.synchronizedList(new ArrayList<>());

  IncomingHostDevices(HostDevices devices, RunEvents events, RunJournal journal) {
    this.devices = devices;
    this.events = events;
    this.journal = journal;
  }

  /** The addresses bound so far, in order. */
  List<String> addresses() {
    return List.copyOf(prepared);
  }

  /** A restarted daemon's view: these were bound by the daemon that died. */
  void adopt(List<String> addresses) {
    prepared.addAll(addresses);
  }

  /** Binds, one after the other, the devices of {@code plan} that name a {@code host}. */
  CompletableFuture<Void> prepare(MigrationPlan plan) {
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (DevicePlan device : plan.devices()) {
      Object host = device.destinationProperties().map(p -> p.get("host")).orElse(null);
      if (host == null) {
        continue; // an emulated device (the lab's e1000e): nothing to bind on this host
      }
      String address = host.toString();
      chain = chain
          .thenCompose(v -> journal.record(Phase.PREFLIGHT, JournalStep.HOST_DEVICE_PREPARE, device.id(),
              Map.of("host", address)))
          .thenCompose(v -> {
            events.device(Phase.PREFLIGHT, device.id(), "prepare-requested", Map.of("host", address));
            return devices.prepare(address);
          })
          .thenCompose(v -> {
            prepared.add(address);
            events.device(Phase.PREFLIGHT, device.id(), "prepared", Map.of("host", address));
            return journal.record(Phase.PREFLIGHT, JournalStep.HOST_DEVICE_PREPARED, device.id(), Map.of("host", address));
          });
    }
    return chain;
  }

  /** Releases every bound device; what could not be released is in the list. */
  CompletableFuture<List<String>> release(Phase phase) {
    List<String> problems = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (String address : addresses()) {
      chain = chain.thenCompose(v -> devices.release(address).handle((ok, error) -> error))
          .thenCompose(error -> {
            if (error != null) {
              problems.add("could not release " + address + ": " + Errors.message(error));
              return CompletableFuture.completedFuture(null);
            }
            // A fact: if it cannot be written, a restart finds the device released already.
            return journal.record(phase, JournalStep.HOST_DEVICE_RELEASED, null, Map.of("host", address))
                .exceptionally(e -> null);
          });
    }
    return chain.thenApply(v -> List.copyOf(problems));
  }
}
