package io.ferry.agent.daemon;

import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDevice;
import io.ferry.vfio.PrepareRequest;
import io.ferry.vfio.VfioDevices;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The device endpoints over the vfio module: list, prepare, release. Every call reads or writes
 * sysfs, so it runs on the blocking executor, never on the event loop.
 */
final class DeviceActions {
  /**
   * How old a scan {@code GET /v1/devices} may answer from. A scan reads a dozen sysfs files per
   * device; asked 50 times a second (an earlier mix of the load check) it cost a quarter of a
   * core on a host with six PCI devices; a host with hundreds of VFs would pay many times more.
   */
  static final Duration LIST_MAX_AGE = Duration.ofSeconds(1);

  private final VfioDevices vfio;
  private final Executor blocking;
  private final LongSupplier nanoClock;
  /** The last scan (perhaps still running), when it started, and the binding count it saw. */
  private Scan lastScan;

  private record Scan(CompletableFuture<ApiResponse> answer, long startedNanos, long bindingChanges) {}

  DeviceActions(VfioDevices vfio, Executor blocking) {
    this(vfio, blocking, System::nanoTime);
  }

  DeviceActions(VfioDevices vfio, Executor blocking, LongSupplier nanoClock) {
    this.vfio = vfio;
    this.blocking = blocking;
    this.nanoClock = nanoClock;
  }

  /**
   * Every PCI device, from a scan at most {@link #LIST_MAX_AGE} old that no prepare or release
   * through this daemon has ended since (those show at once; a change made behind ferry's back
   * shows within the age). Requests that arrive together share one scan. A failed scan is not kept.
   */
  CompletableFuture<ApiResponse> list() {
    synchronized (this) {
      long now = nanoClock.getAsLong();
      long changes = vfio.bindingChanges();
      Scan last = lastScan;
      if (last != null
          && last.bindingChanges() == changes
          && now - last.startedNanos() < LIST_MAX_AGE.toNanos()
          && !last.answer().isCompletedExceptionally()) {
        return last.answer();
      }
      CompletableFuture<ApiResponse> answer = CompletableFuture.supplyAsync(this::scan, blocking);
      lastScan = new Scan(answer, now, changes);
      return answer;
    }
  }

  private ApiResponse scan() {
    try {
      return ApiResponse.json(200, vfio.list().stream().map(DeviceJson::device).toList());
    } catch (IOException | RuntimeException e) {
      throw new ApiException(500, "device_discovery_failed", "cannot list PCI devices: " + e.getMessage());
    }
  }

  CompletableFuture<ApiResponse> prepare(PrepareRequest request) {
    return CompletableFuture.supplyAsync(() -> {
      requireDevice(request.address());
      try {
        return ApiResponse.json(200, DeviceJson.prepared(vfio.prepare(request)));
      } catch (DeviceOperationException e) {
        throw refusal(e);
      }
    }, blocking);
  }

  CompletableFuture<ApiResponse> release(PciAddress address) {
    return CompletableFuture.supplyAsync(() -> {
      requireDevice(address);
      try {
        return ApiResponse.json(200, DeviceJson.released(vfio.release(address)));
      } catch (DeviceOperationException e) {
        throw refusal(e);
      }
    }, blocking);
  }

  private void requireDevice(PciAddress address) {
    PciDevice found;
    try {
      found = vfio.find(address).orElse(null);
    } catch (IOException e) {
      throw new ApiException(500, "device_discovery_failed", "cannot read " + address + ": " + e.getMessage());
    }
    if (found == null) {
      throw new ApiException(404, "unknown_device", "no PCI device at " + address + " on this host");
    }
  }

  /**
   * A refusal changed nothing (409: the device is in use, already prepared, not ferry's to
   * release...); a failure midway is a 500 that says whether the device is back as it was found.
   */
  private static ApiException refusal(DeviceOperationException e) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("device", e.device().toString());
    details.put("outcome", e.outcome().name());
    details.put("done", List.copyOf(e.done()));
    details.put("undone", List.copyOf(e.undone()));
    return switch (e.outcome()) {
      case REFUSED -> new ApiException(409, "device_refused", e.getMessage(), details);
      case RESTORED -> new ApiException(500, "device_operation_failed", e.getMessage(), details);
      case NOT_RESTORED -> new ApiException(500, "device_not_restored", e.getMessage(), details);
    };
  }
}
