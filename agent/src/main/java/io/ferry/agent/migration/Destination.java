package io.ferry.agent.migration;

import io.ferry.qmp.QmpIoThread;
import io.ferry.qmp.QmpOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The destination as the state machine drives it: the one seam between a local destination (its
 * QEMU's monitor on this host) and a peer one (the destination host's daemon, over the peer
 * protocol). The phases, their order and the rollback rules are the same for both.
 */
sealed interface Destination permits LocalDestination, PeerDestination {

  /**
   * Connects to what is needed to drive it. A monitor it opens goes on {@code ioThread} (the
   * source's, so that a reply on one side and the command it triggers on the other are handled
   * without a thread hand-off), with {@code options}; its round trips go to the run's listener.
   */
  CompletableFuture<Void> open(QmpIoThread ioThread, QmpOptions options);

  /**
   * Starts carrying the destination QEMU's own events into the run's events (a local monitor; a
   * peer's events are on the peer's stream). Called once the PREFLIGHT reads are on their way,
   * which cause no QEMU event.
   */
  void attachEventTap();

  /** Why it cannot take this migration, or null if it can (PREFLIGHT, before any change). */
  CompletableFuture<String> problem();

  /**
   * Gets ready to receive, as the last step of PREFLIGHT: the migration capabilities and
   * parameters; a peer also binds its devices and starts listening for the stream.
   */
  CompletableFuture<Void> prepare(Map<String, Boolean> capabilities, Map<String, Object> parameters);

  /**
   * Registered before {@link #listen}: completes with the destination's final load status
   * ({@code completed} or {@code failed}), or with {@code completed} at once for a destination that
   * checks its load itself before it plugs or commits (a peer).
   */
  CompletableFuture<String> loadStatus(Duration deadline);

  /** Starts waiting for the stream on {@code uri} (a peer already does, since {@link #prepare}). */
  CompletableFuture<Void> listen(String uri);

  /**
   * Plugs each device (id to {@code device_add} properties, id included) into the destination.
   * Never fails for one device: each outcome is in the list.
   */
  CompletableFuture<List<PlugResult>> plug(
      Map<String, Map<String, Object>> devices, Duration deadline, boolean cancellable);

  /**
   * Runs the guest on the destination: completes with QEMU's RESUME timestamp (µs). Calls {@code
   * pointOfNoReturn} as soon as the guest may be running there, before the commit is confirmed,
   * so that a failure from then on never resumes the source. Journaling is the caller's
   * ({@link Commit}).
   */
  CompletableFuture<Long> commit(Runnable pointOfNoReturn);

  /**
   * Before the commit: discards whatever the destination holds for this migration (quits a QEMU
   * that was given the stream, releases a peer's devices), journaling the step first (best
   * effort: a rollback only puts things back). Completes with where it was left.
   *
   * @param streamStarted whether {@link #listen} was called
   */
  CompletableFuture<String> discard(boolean streamStarted);

  /**
   * Failover mode: when the destination QEMU reported FAILOVER_NEGOTIATED for {@code standby}
   * (µs since the epoch, this host's clock), once {@code primary} is found plugged there. QEMU
   * reports the negotiation even when it has no primary to plug (it only warns), so the event
   * alone proves nothing: without the primary this fails. Registered before the migration
   * starts: QEMU may report it while the destination is still paused, as it loads the stream.
   */
  CompletableFuture<Long> failoverNegotiated(String primary, String standby, Duration deadline);

  /** Lets go of connections; never changes the destination. */
  void close();
}
