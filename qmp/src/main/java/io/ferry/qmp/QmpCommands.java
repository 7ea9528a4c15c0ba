package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The typed commands of a {@link QmpClient}: each checks its arguments before anything is sent
 * (an {@link IllegalArgumentException}, nothing sent) and turns QEMU's {@code return} value into
 * the library's types. A class of its own only so that the client's file is about the connection:
 * these methods are the client's API (the class is sealed to it), go through its {@link
 * QmpClient#execute}, and follow its threading rules.
 */
abstract sealed class QmpCommands permits QmpClient {
  private final AtomicReference<CompletableFuture<QmpSchema>> schema = new AtomicReference<>();

  /** See {@link QmpClient#options()}. */
  abstract QmpOptions options();

  /** See {@link QmpClient#execute(String, Object)}. */
  abstract CompletableFuture<JsonNode> execute(String command, Object arguments);

  /** Sends {@code command}, passing {@code fd} with it unless it is {@link PendingCommand#NO_FD}. */
  abstract CompletableFuture<JsonNode> submit(String command, Object arguments, Duration deadline, int fd);

  /**
   * {@code device_add}. {@code properties} must hold {@code driver} and {@code id}; every other
   * entry (bus, addr, mac, host, romfile, failover_pair_id, ...) passes through unchanged.
   */
  public CompletableFuture<Void> deviceAdd(Map<String, ?> properties) {
    if (properties == null
        || !(properties.get("driver") instanceof String driver)
        || driver.isBlank()) {
      throw new IllegalArgumentException("device_add needs a non-blank \"driver\" property");
    }
    if (!(properties.get("id") instanceof String id) || id.isBlank()) {
      throw new IllegalArgumentException("device_add needs a non-blank \"id\" property");
    }
    return execute("device_add", properties).thenApply(r -> null);
  }

  /** {@code device_del}: only asks the guest; completion is the DEVICE_DELETED event. */
  public CompletableFuture<Void> deviceDel(String id) {
    requireText(id, "id");
    return execute("device_del", Map.of("id", id)).thenApply(r -> null);
  }

  /** {@code query-pci}, flattened over all buses, bridges and root ports included. */
  public CompletableFuture<List<PciDeviceInfo>> queryPci() {
    return execute("query-pci", null).thenApply(Replies::pci);
  }

  public CompletableFuture<List<QomProperty>> qomList(String path) {
    requireText(path, "path");
    return execute("qom-list", Map.of("path", path)).thenApply(Replies::qomList);
  }

  public CompletableFuture<JsonNode> qomGet(String path, String property) {
    requireText(path, "path");
    requireText(property, "property");
    return execute("qom-get", Map.of("path", path, "property", property));
  }

  public CompletableFuture<VmStatus> queryStatus() {
    return execute("query-status", null).thenApply(Replies::status);
  }

  public CompletableFuture<Void> stop() {
    return execute("stop", null).thenApply(r -> null);
  }

  public CompletableFuture<Void> cont() {
    return execute("cont", null).thenApply(r -> null);
  }

  /** {@code quit}: QEMU answers, then exits; the connection then ends. */
  public CompletableFuture<Void> quit() {
    return execute("quit", null).thenApply(r -> null);
  }

  public CompletableFuture<Void> migrate(String uri) {
    requireText(uri, "uri");
    return execute("migrate", Map.of("uri", uri)).thenApply(r -> null);
  }

  /** For a destination started with {@code -incoming defer}. */
  public CompletableFuture<Void> migrateIncoming(String uri) {
    requireText(uri, "uri");
    return execute("migrate-incoming", Map.of("uri", uri)).thenApply(r -> null);
  }

  public CompletableFuture<Void> migrateCancel() {
    return execute("migrate_cancel", null).thenApply(r -> null);
  }

  public CompletableFuture<Void> migrateSetCapabilities(Map<String, Boolean> capabilities) {
    if (capabilities == null || capabilities.isEmpty()) {
      throw new IllegalArgumentException("migrate-set-capabilities needs at least one capability");
    }
    List<Map<String, Object>> list =
        capabilities.entrySet().stream()
            .map(
                e -> {
                  if (e.getValue() == null) {
                    throw new IllegalArgumentException("capability " + e.getKey() + " is null");
                  }
                  Map<String, Object> c = new LinkedHashMap<>();
                  c.put("capability", e.getKey());
                  c.put("state", e.getValue());
                  return c;
                })
            .toList();
    return execute("migrate-set-capabilities", Map.of("capabilities", list)).thenApply(r -> null);
  }

  public CompletableFuture<Void> migrateSetParameters(Map<String, ?> parameters) {
    if (parameters == null || parameters.isEmpty()) {
      throw new IllegalArgumentException("migrate-set-parameters needs at least one parameter");
    }
    return execute("migrate-set-parameters", parameters).thenApply(r -> null);
  }

  public CompletableFuture<MigrationInfo> queryMigrate() {
    return execute("query-migrate", null).thenApply(Replies::migration);
  }

  public CompletableFuture<Map<String, Boolean>> queryMigrateCapabilities() {
    return execute("query-migrate-capabilities", null).thenApply(Replies::capabilities);
  }

  /** {@code announce-self} with initial 50 ms, max 550 ms, 5 rounds, step 100 ms. */
  public CompletableFuture<Void> announceSelf() {
    return execute("announce-self", Map.of("initial", 50, "max", 550, "rounds", 5, "step", 100))
        .thenApply(r -> null);
  }

  /** {@code query-qmp-schema}, fetched once per connection and then reused. */
  public CompletableFuture<QmpSchema> querySchema() {
    CompletableFuture<QmpSchema> existing = schema.get();
    if (existing != null && !existing.isCompletedExceptionally()) {
      return existing;
    }
    CompletableFuture<QmpSchema> fresh =
        execute("query-qmp-schema", null).thenApply(QmpSchema::from);
    schema.set(fresh);
    return fresh;
  }

  /**
   * {@code getfd}: passes {@code fd} (SCM_RIGHTS, on this command's own bytes) as {@code fdName}.
   * QEMU receives its own duplicate; keep {@code fd} open until the future completes, then close
   * it whenever you like.
   */
  public CompletableFuture<Void> getfd(String fdName, int fd) {
    requireText(fdName, "fdName");
    requireFd(fd);
    return submit("getfd", Map.of("fdname", fdName), options().defaultCommandTimeout(), fd)
        .thenApply(r -> null);
  }

  /**
   * {@code add-fd}: passes {@code fd} into an fd set ({@code fdsetId} null = a new set, {@code
   * opaque} null = none). Keep {@code fd} open until the future completes.
   */
  public CompletableFuture<AddFdResult> addFd(int fd, Integer fdsetId, String opaque) {
    requireFd(fd);
    Map<String, Object> args = new LinkedHashMap<>();
    if (fdsetId != null) {
      args.put("fdset-id", fdsetId);
    }
    if (opaque != null) {
      args.put("opaque", opaque);
    }
    return submit("add-fd", args, options().defaultCommandTimeout(), fd).thenApply(Replies::addFd);
  }

  public CompletableFuture<List<FdSet>> queryFdsets() {
    return execute("query-fdsets", null).thenApply(Replies::fdsets);
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }

  private static void requireFd(int fd) {
    if (fd < 0) {
      throw new IllegalArgumentException("fd must be a valid descriptor, got " + fd);
    }
  }
}
