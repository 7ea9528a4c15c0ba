package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.codec.QmpRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One command from submission until its reply, deadline or disconnect. Event-loop confined. */
final class PendingCommand {
  static final int NO_FD = -1;

  final QmpRequest request;
  final int fd;
  final long deadlineNanos;
  final CompletableFuture<JsonNode> future = new CompletableFuture<>();
  ScheduledFuture<?> timer;
  /** When the command went to the socket (System.nanoTime), for the round trip. */
  long sentNanos;

  PendingCommand(QmpRequest request, int fd, long deadlineNanos) {
    this.request = request;
    this.fd = fd;
    this.deadlineNanos = deadlineNanos;
  }

  long id() {
    return request.id();
  }

  String command() {
    return request.command();
  }

  boolean oob() {
    return request.oob();
  }
}
