package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.codec.QmpMessage;
import io.ferry.qmp.codec.QmpRequest;
import io.ferry.qmp.transport.QmpChannel;
import io.ferry.qmp.transport.QmpEventLoop;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A QMP connection to one QEMU over a unix socket.
 *
 * <p>Threading: every method is thread-safe and non-blocking except {@link #close()}, which waits
 * briefly for the connection to be torn down. Command and {@link #awaitEvent} futures complete on
 * the connection's I/O thread: dependent stages must not block (use the {@code *Async} variants
 * of {@link CompletableFuture} for blocking work). Event listeners run on delivery threads of
 * their own.
 *
 * <p>A disconnect is final: every pending command fails with {@link QmpDisconnectedException},
 * subscribers get {@link QmpEventListener#onClosed}, and {@link #reconnect()} opens a new client.
 */
public final class QmpClient implements AutoCloseable {
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final Path socket;
  private final QmpOptions options;
  private final QmpChannel channel;
  private final CommandDispatcher dispatcher;
  private final EventHub events;
  private final AtomicLong nextId = new AtomicLong(1);
  private final CompletableFuture<QmpGreeting> greetingReceived = new CompletableFuture<>();
  private final CompletableFuture<Throwable> disconnected = new CompletableFuture<>();
  private final AtomicReference<CompletableFuture<QmpSchema>> schema = new AtomicReference<>();
  private volatile boolean oobEnabled;
  private volatile Set<String> oobCommands = Set.of();
  private volatile QmpGreeting greeting;
  private volatile QmpDisconnectedException closeReason;

  private QmpClient(Path socket, QmpOptions options, QmpChannel channel) {
    this.socket = socket;
    this.options = options;
    this.channel = channel;
    this.dispatcher = new CommandDispatcher(channel, options.maxInFlight());
    this.events = new EventHub(channel.executor());
  }

  /** Connects with {@link QmpOptions#defaults()}: 5 s to connect and negotiate, no oob. */
  public static CompletableFuture<QmpClient> connect(Path socket) {
    return connect(socket, QmpOptions.defaults());
  }

  /**
   * Connects, reads the greeting and negotiates capabilities (with {@code oob} when asked for and
   * offered; then the schema is probed so {@code allow-oob} commands go out as {@code exec-oob}).
   * Fails with {@link QmpTimeoutException} if all that takes longer than the connect timeout.
   */
  public static CompletableFuture<QmpClient> connect(Path socket, QmpOptions options) {
    return connect(socket, options, QmpIoThread.next());
  }

  /**
   * Same, with the connection served by {@code ioThread}: its replies and events are handled,
   * and the futures it returns are completed, on that thread.
   */
  public static CompletableFuture<QmpClient> connect(
      Path socket, QmpOptions options, QmpIoThread ioThread) {
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(ioThread, "ioThread");
    long deadline = System.nanoTime() + options.connectTimeout().toNanos();
    AtomicReference<QmpClient> created = new AtomicReference<>();
    CompletableFuture<QmpClient> result =
        QmpChannel.connect(
                socket,
                ioThread.loop(),
                options.connectTimeout(),
                options.maxFrameBytes(),
                qmpChannel -> {
                  // Built on the event loop, before any byte can arrive.
                  QmpClient client = new QmpClient(socket, options, qmpChannel);
                  created.set(client);
                  return client.new Inbound();
                })
            .exceptionally(
                e -> {
                  throw new QmpDisconnectedException(
                      "cannot connect to QMP socket " + socket + ": " + rootMessage(e), unwrap(e));
                })
            .thenCompose(
                ch -> {
                  QmpClient client = created.get();
                  return client
                      .greetingReceived
                      .thenCompose(g -> client.negotiate(g, remaining(deadline)))
                      .thenApply(ignored -> client);
                });
    CompletableFuture<QmpClient> bounded = new CompletableFuture<>();
    var timer =
        ioThread
            .loop()
            .schedule(
            () -> {
              if (bounded.completeExceptionally(
                  new QmpTimeoutException(
                      "QMP connect + negotiation with "
                          + socket
                          + " took longer than "
                          + options.connectTimeout()))) {
                QmpClient client = created.get();
                if (client != null) {
                  client.closeWithoutWaiting();
                }
              }
            },
            options.connectTimeout().toNanos(),
            TimeUnit.NANOSECONDS);
    result.whenComplete(
        (client, error) -> {
          timer.cancel(false);
          if (error != null) {
            QmpClient half = created.get();
            if (half != null) {
              half.closeWithoutWaiting(); // e.g. qmp_capabilities refused: do not leak the socket
            }
            bounded.completeExceptionally(unwrap(error));
          } else if (!bounded.complete(client)) {
            client.closeWithoutWaiting(); // negotiated just after the timeout fired
          }
        });
    return bounded;
  }

  /** A fresh connection to the same socket with the same options. This client stays closed. */
  public CompletableFuture<QmpClient> reconnect() {
    return connect(socket, options);
  }

  public Path socket() {
    return socket;
  }

  public QmpOptions options() {
    return options;
  }

  public QmpGreeting greeting() {
    return greeting;
  }

  /** True when {@code oob} was asked for, offered by QEMU and negotiated. */
  public boolean oobEnabled() {
    return oobEnabled;
  }

  public boolean isOpen() {
    return closeReason == null && channel.isActive();
  }

  /**
   * Completes normally when the connection ends for any reason, with the {@link
   * QmpDisconnectedException} that pending commands failed with (its cause says why).
   */
  public CompletableFuture<Throwable> disconnected() {
    return disconnected.copy(); // a copy: callers cannot complete the real one
  }

  /**
   * Reports every command's round trip from now on to {@code listener} (replacing any earlier
   * one); {@link QmpRoundTripListener#NONE} stops it. For metrics: the client keeps no figures.
   */
  public void observeRoundTrips(QmpRoundTripListener listener) {
    dispatcher.observeRoundTrips(Objects.requireNonNull(listener, "listener"));
  }

  // ---------------------------------------------------------------------------- generic commands

  /** Runs {@code command} with the default deadline; completes with QEMU's {@code return} value. */
  public CompletableFuture<JsonNode> execute(String command, Object arguments) {
    return execute(command, arguments, options.defaultCommandTimeout());
  }

  /**
   * Runs {@code command}. {@code arguments} may be null, a {@code Map}, a {@link JsonNode} object or
   * any Jackson-serialisable object; a map is written as it is when the command goes out, so do not
   * change it after the call. Fails with {@link QmpCommandException} when QEMU answers an
   * error, {@link QmpTimeoutException} at the deadline (the connection stays usable), {@link
   * QmpDisconnectedException} when the connection ends first.
   *
   * @throws IllegalArgumentException for a blank command, arguments that are not a JSON object, or
   *     a non-positive deadline (nothing is sent)
   */
  public CompletableFuture<JsonNode> execute(String command, Object arguments, Duration deadline) {
    return submit(command, arguments, deadline, PendingCommand.NO_FD);
  }

  private CompletableFuture<JsonNode> submit(
      String command, Object arguments, Duration deadline, int fd) {
    if (command == null || command.isBlank()) {
      throw new IllegalArgumentException("command must not be blank");
    }
    if (deadline == null || deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive: " + deadline);
    }
    Object args = CommandArguments.of(command, arguments);
    boolean oob = oobEnabled && oobCommands.contains(command);
    PendingCommand pending =
        new PendingCommand(
            new QmpRequest(nextId.getAndIncrement(), command, args, oob),
            fd,
            System.nanoTime() + deadline.toNanos());
    if (channel.inEventLoop()) {
      dispatcher.submit(pending);
    } else {
      channel.executor().execute(() -> dispatcher.submit(pending));
    }
    return pending.future;
  }

  private CompletableFuture<Void> negotiate(QmpGreeting offered, Duration timeLeft) {
    this.greeting = offered;
    boolean wantOob = options.enableOob() && offered.offers("oob");
    Object args = wantOob ? Map.of("enable", List.of("oob")) : null;
    CompletableFuture<Void> negotiated =
        execute("qmp_capabilities", args, timeLeft).thenApply(r -> null);
    if (!wantOob) {
      return negotiated;
    }
    return negotiated
        .thenCompose(ignored -> querySchema())
        .thenAccept(
            s -> {
              oobCommands = Set.copyOf(s.commands().stream().filter(s::allowsOob).toList());
              oobEnabled = true;
            });
  }

  // ------------------------------------------------------------------------------ typed commands

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
    return submit("getfd", Map.of("fdname", fdName), options.defaultCommandTimeout(), fd)
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
    return submit("add-fd", args, options.defaultCommandTimeout(), fd).thenApply(Replies::addFd);
  }

  public CompletableFuture<List<FdSet>> queryFdsets() {
    return execute("query-fdsets", null).thenApply(Replies::fdsets);
  }

  // ------------------------------------------------------------------------------------- events

  /**
   * Delivers every event from now on to {@code listener}, in order, on a delivery thread. Up to
   * {@code queueCapacity} events may wait for a slow listener; one more ends the subscription with
   * {@link QmpEventOverflowException} (never silently, never by slowing QMP down).
   */
  public EventSubscription subscribe(QmpEventListener listener, int queueCapacity) {
    return events.subscribe(listener, queueCapacity);
  }

  /**
   * The first event matching {@code match} from this call on. Call it before sending the command
   * that causes the event: the waiter is registered before this method returns. Fails with {@link
   * QmpTimeoutException} at the deadline and {@link QmpDisconnectedException} on disconnect; the
   * predicate runs on the I/O thread and must be quick.
   */
  public CompletableFuture<QmpEvent> awaitEvent(Predicate<QmpEvent> match, Duration deadline) {
    return events.await(match, deadline);
  }

  // ---------------------------------------------------------------------------------- lifecycle

  /** Closes the socket; pending commands fail with {@link QmpDisconnectedException}. */
  @Override
  public void close() {
    QmpDisconnectedException reason =
        new QmpDisconnectedException("QMP connection to " + socket + " closed by the client", null);
    if (channel.inEventLoop()) {
      shutdown(reason);
      return;
    }
    channel.executor().execute(() -> shutdown(reason));
    if (QmpEventLoop.isIoThread()) {
      return; // never block an I/O thread, not even another connection's
    }
    try {
      disconnected.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Teardown is best effort beyond this point; the channel close is already requested.
    }
  }

  private void closeWithoutWaiting() {
    QmpDisconnectedException reason =
        new QmpDisconnectedException("QMP connection to " + socket + " closed by the client", null);
    channel.executor().execute(() -> shutdown(reason));
  }

  /** Runs on the event loop; the first reason wins. */
  private void shutdown(QmpDisconnectedException reason) {
    if (closeReason != null) {
      return;
    }
    closeReason = reason;
    channel.close();
    // State first, so whoever a failed future wakes already sees isOpen() false and disconnected().
    disconnected.complete(reason);
    dispatcher.failAll(reason);
    events.close(reason);
    greetingReceived.completeExceptionally(reason);
  }

  private void onMessage(QmpMessage message) {
    if (!greetingReceived.isDone() && !(message instanceof QmpMessage.Greeting)) {
      protocolViolation(new QmpProtocolException("expected the QMP greeting, got " + message));
      return;
    }
    if (message instanceof QmpMessage.Return r) {
      dispatcher.onReturn(r.id(), r.value());
    } else if (message instanceof QmpMessage.Event ev) {
      events.publish(ev.event());
    } else if (message instanceof QmpMessage.Greeting g) {
      if (!greetingReceived.complete(g.greeting())) {
        protocolViolation(new QmpProtocolException("second greeting on one connection"));
      }
    } else if (message instanceof QmpMessage.Error e) {
        if (e.id() == null) {
          protocolViolation(
              new QmpProtocolException(
                  "error without id from server (stream out of sync): "
                      + e.errorClass()
                      + ": "
                      + e.description()));
        } else {
          dispatcher.onError(e.id(), e.errorClass(), e.description());
        }
    }
  }

  private void protocolViolation(QmpProtocolException cause) {
    shutdown(
        new QmpDisconnectedException(
            "QMP connection to " + socket + " closed: " + cause.getMessage(), cause));
  }

  /** The connection's inbound side, on the event loop. */
  private final class Inbound implements QmpChannel.Inbound {
    @Override
    public void onMessage(QmpMessage message) {
      QmpClient.this.onMessage(message);
    }

    @Override
    public void onFailure(Throwable why) {
      if (why instanceof QmpProtocolException protocol) {
        protocolViolation(protocol);
      } else if (why instanceof java.io.IOException) {
        shutdown(
            new QmpDisconnectedException(
                "QMP connection to "
                    + socket
                    + " lost (QEMU exited or closed the socket): "
                    + why.getMessage(),
                why));
      } else {
        shutdown(
            new QmpDisconnectedException(
                "QMP connection to " + socket + " failed: " + why.getMessage(), why));
      }
    }

    @Override
    public void onClosed() {
      shutdown(
          new QmpDisconnectedException(
              "QMP connection to "
                  + socket
                  + " closed by QEMU (the process exited or closed the socket)",
              null));
    }
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

  private static Duration remaining(long deadlineNanos) {
    return Duration.ofNanos(Math.max(1_000_000L, deadlineNanos - System.nanoTime()));
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof java.util.concurrent.CompletionException
            || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = unwrap(e);
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
