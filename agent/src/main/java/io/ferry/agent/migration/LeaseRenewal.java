package io.ferry.agent.migration;

import io.ferry.agent.peer.PeerClient;
import io.ferry.agent.peer.PeerReply;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;

/**
 * The source's side of a peer destination's lease: {@code POST .../renew} every third of the
 * lease while the migration runs, so that the destination keeps what it prepared through a
 * MIGRATE phase far longer than the lease (up to the plan's migration timeout). Each renewal is
 * sent on schedule whether or not the previous one was answered: one slow answer must not let
 * the lease run out. A renewal the destination refuses (it has ended the incoming migration)
 * stops them and is reported as a warning; the next step of the migration then fails on its own.
 */
final class LeaseRenewal {
  private final RunContext ctx;
  private final PeerClient client;
  private final URI agent;
  private final String path;
  private final Duration every;
  private volatile boolean stopped;
  private volatile ScheduledFuture<?> next;

  LeaseRenewal(RunContext ctx, PeerClient client, URI agent, String incomingPath, Duration lease) {
    this.ctx = ctx;
    this.client = client;
    this.agent = agent;
    this.path = incomingPath + "/renew";
    this.every = lease.dividedBy(3);
  }

  void start() {
    schedule();
  }

  /** No more renewals (committed, aborted or over). */
  void stop() {
    stopped = true;
    ScheduledFuture<?> pending = next;
    if (pending != null) {
      pending.cancel(false);
    }
  }

  // On the run's QMP I/O thread, like its other timers: the renewal only sends a request.
  private void schedule() {
    next = ctx.ioThread.schedule(this::renew, every);
  }

  private void renew() {
    if (stopped) {
      return;
    }
    schedule();
    client.send(agent, HttpMethod.POST, path, null, every).whenComplete(this::answered);
  }

  private void answered(PeerReply reply, Throwable error) {
    if (stopped) {
      return;
    }
    if (error != null) {
      ctx.events.warning(ctx.phase, null, "could not renew the destination agent's lease: " + Errors.message(error),
          Map.of("agent", agent.toString()));
    } else if (reply.status() == 404 || reply.status() == 409) {
      stopped = true;
      ctx.events.warning(ctx.phase, null, "the destination agent has ended the incoming migration: "
          + reply.errorMessage(), Map.of("agent", agent.toString()));
    } else if (!reply.ok()) {
      ctx.events.warning(ctx.phase, null, "the destination agent refused to renew its lease: " + reply.errorMessage(),
          Map.of("agent", agent.toString()));
    }
  }
}
