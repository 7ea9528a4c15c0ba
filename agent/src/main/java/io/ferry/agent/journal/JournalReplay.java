package io.ferry.agent.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.event.EventKind;
import io.ferry.agent.event.MigrationEvent;
import io.ferry.agent.event.Phase;
import io.ferry.agent.plan.MigrationPlan;
import io.ferry.agent.plan.PlanJson;
import io.ferry.agent.plan.PlanParser;
import io.ferry.agent.plan.PlanValidationException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads journal records back into the migrations that were in flight: those whose last record is
 * not a result. Pure: it looks at no QEMU.
 */
public final class JournalReplay {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JournalReplay() {}

  /** Marks an incoming migration's first record ({@code detail.role}). */
  public static final String INCOMING_ROLE = "incoming";

  /**
   * The in-flight migrations (this host their source), the in-flight incoming migrations (this
   * host their destination) and the records that could not be understood.
   */
  public record Replay(List<InFlightMigration> inFlight, List<InFlightIncoming> incoming, List<String> problems) {
    public Replay {
      inFlight = List.copyOf(inFlight);
      incoming = List.copyOf(incoming);
      problems = List.copyOf(problems);
    }
  }

  /** The plan as a JSON object, for {@code detail.plan} of the PREFLIGHT record. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> planDetail(MigrationPlan plan) {
    return JSON.convertValue(PlanJson.toTree(plan), Map.class);
  }

  /** The records of every migration after its last result, in journal order. */
  public static List<MigrationEvent> stillOpen(List<MigrationEvent> records) {
    Map<String, Integer> lastResult = new LinkedHashMap<>();
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).kind() == EventKind.RESULT) {
        lastResult.put(records.get(i).migration(), i);
      }
    }
    List<MigrationEvent> open = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      if (i > lastResult.getOrDefault(records.get(i).migration(), -1)) {
        open.add(records.get(i));
      }
    }
    return open;
  }

  public static Replay replay(List<MigrationEvent> records) {
    Map<String, List<MigrationEvent>> byMigration = new LinkedHashMap<>();
    for (MigrationEvent r : records) {
      byMigration.computeIfAbsent(r.migration(), k -> new ArrayList<>()).add(r);
    }
    List<InFlightMigration> inFlight = new ArrayList<>();
    List<InFlightIncoming> incoming = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    byMigration.forEach((id, own) -> {
      // An id may be reused once its migration has ended: only the run after the last result counts.
      int lastResult = -1;
      for (int i = 0; i < own.size(); i++) {
        if (own.get(i).kind() == EventKind.RESULT) {
          lastResult = i;
        }
      }
      List<MigrationEvent> open = own.subList(lastResult + 1, own.size());
      if (open.isEmpty()) {
        return;
      }
      try {
        long nextSeq = own.get(own.size() - 1).seq() + 1;
        if (INCOMING_ROLE.equals(open.get(0).detail().get("role"))) {
          incoming.add(foldIncoming(open, nextSeq));
        } else {
          inFlight.add(fold(open, nextSeq));
        }
      } catch (IllegalArgumentException e) {
        problems.add("migration " + id + ": " + e.getMessage());
      }
    });
    return new Replay(inFlight, incoming, problems);
  }

  @SuppressWarnings("unchecked")
  private static InFlightIncoming foldIncoming(List<MigrationEvent> records, long nextSeq) {
    MigrationPlan plan = null;
    Phase lastPhase = null;
    Set<String> prepared = new java.util.LinkedHashSet<>();
    boolean contSent = false;
    boolean committed = false;
    for (MigrationEvent r : records) {
      JournalStep step = JournalStep.fromWire(r.detail().get("step"));
      if (step == null) {
        continue;
      }
      switch (step) {
        case PHASE_ENTERED -> {
          if (r.phase() == Phase.PREFLIGHT && r.detail().get("plan") instanceof Map<?, ?> p) {
            plan = parsePlan((Map<String, Object>) p);
          }
          lastPhase = r.phase();
        }
        // Only a confirmed binding is released by a restart; one merely announced is an
        // interrupted operation, which the device journal's own recovery puts back.
        case HOST_DEVICE_PREPARED -> prepared.add(String.valueOf(r.detail().get("host")));
        case HOST_DEVICE_RELEASED -> prepared.remove(String.valueOf(r.detail().get("host")));
        case CONT_SENT -> contSent = true;
        case COMMITTED -> committed = true;
        default -> { }
      }
    }
    if (plan == null) {
      throw new IllegalArgumentException("its records lack the plan (no PREFLIGHT record with detail.plan)");
    }
    return new InFlightIncoming(plan, lastPhase, List.copyOf(prepared), contSent, committed, nextSeq);
  }

  @SuppressWarnings("unchecked")
  private static InFlightMigration fold(List<MigrationEvent> records, long nextSeq) {
    MigrationPlan plan = null;
    Phase lastPhase = null;
    Map<String, Map<String, Object>> sourceDevices = new LinkedHashMap<>();
    Set<String> unplugRequested = new HashSet<>();
    Set<String> destinationAdds = new HashSet<>();
    boolean migrateStarted = false;
    boolean contSent = false;
    boolean committed = false;
    int recoveries = 0;
    for (MigrationEvent r : records) {
      JournalStep step = JournalStep.fromWire(r.detail().get("step"));
      if (step == null) {
        continue; // written by a newer ferry: what this one knows still holds
      }
      String device = r.device().orElse(null);
      switch (step) {
        case PHASE_ENTERED -> {
          if (r.phase() == Phase.PREFLIGHT && r.detail().get("plan") instanceof Map<?, ?> p) {
            plan = parsePlan((Map<String, Object>) p);
          }
          lastPhase = r.phase();
        }
        case SOURCE_DEVICES -> {
          if (r.detail().get("devices") instanceof Map<?, ?> devices) {
            devices.forEach((k, v) -> sourceDevices.put((String) k, (Map<String, Object>) v));
          }
        }
        case UNPLUG_REQUESTED -> unplugRequested.add(device);
        case MIGRATE_STARTED -> migrateStarted = true;
        case DEVICE_ADD -> {
          if ("destination".equals(r.detail().get("side"))) {
            destinationAdds.add(device);
          }
        }
        case CONT_SENT -> contSent = true;
        case COMMITTED -> committed = true;
        case RECOVERY_STARTED -> recoveries++;
        case DEVICE_ADDED, QUIT_DESTINATION, CONT_SOURCE, RESULT,
            HOST_DEVICE_PREPARE, HOST_DEVICE_PREPARED, HOST_DEVICE_RELEASED -> { }
      }
    }
    if (plan == null) {
      throw new IllegalArgumentException("its records lack the plan (no PREFLIGHT record with detail.plan)");
    }
    return new InFlightMigration(plan, lastPhase, sourceDevices, unplugRequested, migrateStarted,
        destinationAdds, contSent, committed, recoveries, nextSeq);
  }

  private static MigrationPlan parsePlan(Map<String, Object> tree) {
    try {
      return PlanParser.parse(JSON.writeValueAsString(tree));
    } catch (JsonProcessingException | PlanValidationException e) {
      throw new IllegalArgumentException("its journaled plan is not valid: " + e.getMessage(), e);
    }
  }
}
