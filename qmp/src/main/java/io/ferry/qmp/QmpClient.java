package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.codec.QmpMessage;
import io.ferry.qmp.codec.QmpRequest;
import io.ferry.qmp.transport.QmpChannel;
import io.ferry.qmp.transport.QmpEventLoop;
import java.nio.file.Path;
import java.time.Duration;
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
public final class QmpClient extends QmpCommands implements AutoCloseable {
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final Path socket;
  private final QmpOptions options;
  private final QmpChannel channel;
  private final CommandDispatcher dispatcher;
  private final EventHub events;
  private final AtomicLong nextId = new AtomicLong(1);
  private final CompletableFuture<QmpGreeting> greetingReceived = new CompletableFuture<>();
  private final CompletableFuture<Throwable> disconnected = new CompletableFuture<>();
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

  @Override
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
  @Override
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

  @Override
  CompletableFuture<JsonNode> submit(
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
