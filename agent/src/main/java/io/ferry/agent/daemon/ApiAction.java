package io.ferry.agent.daemon;

import io.ferry.agent.plan.MigrationPlan;
import java.util.Map;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PrepareRequest;

/**
 * Every request the daemon understands, parsed at the HTTP edge (after Firecracker's API): the
 * core handles these and never sees HTTP.
 */
public sealed interface ApiAction {

  /** {@code POST /v1/migrations}: start a migration from a validated plan. */
  record StartMigration(MigrationPlan plan) implements ApiAction {}

  /** {@code GET /v1/migrations}. */
  record ListMigrations() implements ApiAction {}

  /** {@code GET /v1/migrations/{id}}. */
  record GetMigration(String id) implements ApiAction {}

  /** {@code POST /v1/migrations/{id}/cancel}. */
  record CancelMigration(String id) implements ApiAction {}

  /**
   * {@code GET /v1/migrations/{id}/events} ({@code migrationId} set) or {@code GET /v1/events}
   * ({@code migrationId} null): history, then live events.
   */
  record StreamEvents(String migrationId, StreamFormat format) implements ApiAction {}

  /** {@code GET /v1/devices}. */
  record ListDevices() implements ApiAction {}

  /**
   * {@code POST /v1/incoming} (a peer asks this host to be a migration's destination): prepare
   * the plan's devices, check the destination QEMU, start {@code migrate-incoming}.
   */
  record CreateIncoming(MigrationPlan plan) implements ApiAction {}

  /** {@code POST /v1/incoming/{id}/plug}: device_add into the paused destination, per device. */
  record PlugIncoming(String id, Map<String, Map<String, Object>> devices) implements ApiAction {
    public PlugIncoming {
      devices = Map.copyOf(devices);
    }
  }

  /** {@code POST /v1/incoming/{id}/commit}: cont, RESUME, announce-self. */
  record CommitIncoming(String id) implements ApiAction {}

  /** {@code POST /v1/incoming/{id}/abort}: quit the uncommitted destination, release its devices. */
  record AbortIncoming(String id) implements ApiAction {}

  /** {@code POST /v1/incoming/{id}/renew}: the source is still there; the lease starts over. */
  record RenewIncoming(String id) implements ApiAction {}
  /** {@code POST /v1/devices/{bdf}/prepare}: bind to vfio-pci, with optional VF settings. */
  record PrepareDevice(PrepareRequest request) implements ApiAction {}

  /** {@code POST /v1/devices/{bdf}/release}: give back a device ferry prepared. */
  record ReleaseDevice(PciAddress address) implements ApiAction {}

  /** {@code GET /healthz}. */
  record Health() implements ApiAction {}

  /** {@code GET /metrics}. */
  record Metrics() implements ApiAction {}

  /** How an event stream is framed. */
  enum StreamFormat {
    /** One event JSON per line, chunked ({@code application/x-ndjson}). */
    NDJSON,
    /** Server-Sent Events ({@code text/event-stream}), asked for with that Accept header. */
    SSE
  }
}
