package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.transport.QmpChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Correlates replies to commands by id, never by order (QEMU sends some events before the reply of
 * the command that caused them, and oob replies overtake in-band ones). At most {@code
 * maxInFlight} in-band commands are on the wire; the rest wait in FIFO order. A command whose
 * deadline passes frees its slot at once and its late reply is dropped by id, so a stuck command
 * cannot wedge the connection. Everything here runs on the channel's event loop only.
 */
final class CommandDispatcher {
  private final QmpChannel channel;
  private final int maxInFlight;
  private final Map<Long, PendingCommand> awaitingReply = new HashMap<>();
  private final ArrayDeque<PendingCommand> queued = new ArrayDeque<>();
  private int inBandOnWire;
  private QmpDisconnectedException closed;
  // Written from any thread by QmpClient.observeRoundTrips, read on the event loop.
  private volatile QmpRoundTripListener roundTrips = QmpRoundTripListener.NONE;

  CommandDispatcher(QmpChannel channel, int maxInFlight) {
    this.channel = channel;
    this.maxInFlight = maxInFlight;
  }

  void submit(PendingCommand command) {
    if (closed != null) {
      command.future.completeExceptionally(disconnected(closed));
      return;
    }
    if (command.future.isDone()) {
      return; // cancelled by the caller before it reached the event loop
    }
    long delay = command.deadlineNanos - System.nanoTime();
    command.timer = channel.executor().schedule(() -> expire(command), delay, TimeUnit.NANOSECONDS);
    if (command.oob() || inBandOnWire < maxInFlight) {
      send(command);
    } else {
      queued.add(command);
    }
  }

  void observeRoundTrips(QmpRoundTripListener listener) {
    this.roundTrips = listener;
  }

  int inBandOnWire() {
    return inBandOnWire;
  }

  int queued() {
    return queued.size();
  }

  void onReturn(JsonNode id, JsonNode value) {
    PendingCommand command = take(id);
    if (command != null) {
      report(command, false);
      command.future.complete(value);
    }
  }

  void onError(JsonNode id, String errorClass, String description) {
    PendingCommand command = take(id);
    if (command != null) {
      report(command, true);
      command.future.completeExceptionally(
          new QmpCommandException(command.command(), errorClass, description));
    }
  }

  void failAll(QmpDisconnectedException cause) {
    if (closed != null) {
      return;
    }
    closed = cause;
    for (PendingCommand command : awaitingReply.values()) {
      command.timer.cancel(false);
      command.future.completeExceptionally(disconnected(cause));
    }
    awaitingReply.clear();
    for (PendingCommand command : queued) {
      command.timer.cancel(false);
      command.future.completeExceptionally(disconnected(cause));
    }
    queued.clear();
    inBandOnWire = 0;
  }

  private void report(PendingCommand command, boolean error) {
    try {
      roundTrips.roundTrip(command.command(), System.nanoTime() - command.sentNanos, error);
    } catch (RuntimeException e) {
      // An observer's bug must not cost the caller its reply.
    }
  }

  private void send(PendingCommand command) {
    awaitingReply.put(command.id(), command);
    command.sentNanos = System.nanoTime();
    if (!command.oob()) {
      inBandOnWire++;
    }
    if (command.fd == PendingCommand.NO_FD) {
      channel.send(command.request);
      return;
    }
    channel
        .sendWithFd(command.request, command.fd, command.future::isDone)
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                finishWithError(command, error);
              }
            });
  }

  private void finishWithError(PendingCommand command, Throwable error) {
    if (awaitingReply.remove(command.id()) != null) {
      release(command);
    }
    command.timer.cancel(false);
    command.future.completeExceptionally(error);
  }

  private PendingCommand take(JsonNode id) {
    if (id == null || !id.canConvertToLong()) {
      return null; // not one of ours
    }
    PendingCommand command = awaitingReply.remove(id.asLong());
    if (command == null) {
      return null; // a late reply to a command that already timed out
    }
    command.timer.cancel(false);
    release(command);
    return command;
  }

  private void release(PendingCommand command) {
    if (command.oob()) {
      return;
    }
    inBandOnWire--;
    while (inBandOnWire < maxInFlight && !queued.isEmpty()) {
      PendingCommand next = queued.poll();
      if (!next.future.isDone()) {
        send(next);
      } else {
        next.timer.cancel(false);
      }
    }
  }

  private void expire(PendingCommand command) {
    if (command.future.isDone() && !awaitingReply.containsKey(command.id())) {
      queued.remove(command);
      return;
    }
    if (!queued.remove(command) && awaitingReply.remove(command.id()) != null) {
      release(command);
    }
    command.future.completeExceptionally(
        new QmpTimeoutException(
            command.command() + " got no reply before its deadline (id " + command.id() + ")"));
  }

  private static QmpDisconnectedException disconnected(QmpDisconnectedException cause) {
    return new QmpDisconnectedException(cause.getMessage(), cause.getCause());
  }
}
