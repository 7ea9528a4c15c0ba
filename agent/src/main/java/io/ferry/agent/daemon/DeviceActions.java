package io.ferry.agent.daemon;

import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDevice;
import io.ferry.vfio.PrepareRequest;
import io.ferry.vfio.VfioDevices;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The device endpoints over the vfio module: list, prepare, release. Every call reads or writes
 * sysfs, so it runs on the blocking executor, never on the event loop.
 */
final class DeviceActions {
  private final VfioDevices vfio;
  private final Executor blocking;

  DeviceActions(VfioDevices vfio, Executor blocking) {
    this.vfio = vfio;
    this.blocking = blocking;
  }

  CompletableFuture<ApiResponse> list() {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return ApiResponse.json(200, vfio.list().stream().map(DeviceJson::device).toList());
      } catch (IOException | RuntimeException e) {
        throw new ApiException(500, "device_discovery_failed", "cannot list PCI devices: " + e.getMessage());
      }
    }, blocking);
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
