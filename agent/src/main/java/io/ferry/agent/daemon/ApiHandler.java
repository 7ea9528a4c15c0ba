package io.ferry.agent.daemon;

import io.ferry.agent.daemon.ApiAction.StreamFormat;
import io.ferry.agent.event.Subscription;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletionException;

/**
 * The HTTP edge of one connection: checks the caller, parses each request into an {@link
 * ApiAction}, hands it to the {@link DaemonCore}, and writes the answer. Nothing here blocks: core
 * answers are futures, event streams are bus subscriptions.
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());

  private final DaemonCore core;
  private final boolean callerAllowed;
  private final int callerUid;

  ApiHandler(DaemonCore core, int callerUid, boolean callerAllowed) {
    this.core = core;
    this.callerUid = callerUid;
    this.callerAllowed = callerAllowed;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (!callerAllowed) {
      reply(ctx, ErrorBodies.response(new ApiException(403, "forbidden",
          "uid " + callerUid + " may not use this daemon (see ferry serve --allow-uid)")), false);
      return;
    }
    DecoderResult decoded = req.decoderResult();
    if (decoded.isFailure()) {
      reply(ctx, ErrorBodies.response(new ApiException(400, "bad_request",
          "malformed HTTP request: " + decoded.cause().getMessage())), false);
      return;
    }
    String path;
    try {
      path = new QueryStringDecoder(req.uri()).path();
    } catch (IllegalArgumentException badEscape) {
      // e.g. "/%zz": Netty refuses to decode it (found by ApiFuzzTest; was a 500).
      reply(ctx, ErrorBodies.response(new ApiException(400, "bad_request",
          "malformed request target: " + badEscape.getMessage())), keepAlive);
      return;
    }
    ApiAction action;
    try {
      action = RequestParser.parse(
          req.method().name(),
          path,
          req.headers().get(HttpHeaderNames.CONTENT_TYPE),
          req.headers().get(HttpHeaderNames.ACCEPT),
          ByteBufUtil.getBytes(req.content()));
    } catch (RuntimeException e) {
      reply(ctx, ErrorBodies.response(asApiError(e)), keepAlive);
      return;
    }
    if (action instanceof ApiAction.StreamEvents stream) {
      stream(ctx, stream);
      return;
    }
    core.handle(action).whenComplete((response, error) -> {
      if (error == null) {
        reply(ctx, response.json() != null
            ? ErrorBodies.json(response.status(), response.json())
            : ErrorBodies.text(response.text()), keepAlive);
      } else {
        reply(ctx, ErrorBodies.response(asApiError(error)), keepAlive);
      }
    });
  }

  private void stream(ChannelHandlerContext ctx, ApiAction.StreamEvents a) {
    if (a.migrationId() != null && !core.knows(a.migrationId())) {
      reply(ctx, ErrorBodies.response(new ApiException(404, "unknown_migration",
          "no migration with id " + a.migrationId())), true);
      return;
    }
    if (a.migrationId() != null && core.eventsForgotten(a.migrationId())) {
      reply(ctx, ErrorBodies.response(new ApiException(410, "events_forgotten",
          "migration " + a.migrationId() + " has ended and its events are no longer kept;"
              + " GET /v1/migrations/" + a.migrationId() + " has its result")), true);
      return;
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE,
        a.format() == StreamFormat.SSE ? "text/event-stream" : "application/x-ndjson");
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    // A stream is the connection's last response: it ends by closing.
    head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    HttpUtil.setTransferEncodingChunked(head, true);
    ctx.writeAndFlush(head);
    EventStream sink = new EventStream(ctx.channel(), a.format());
    Subscription sub;
    try {
      sub = core.bus().subscribe(a.migrationId(), true, sink);
    } catch (IllegalStateException busClosed) {
      sink.end();
      return;
    }
    core.metrics().subscriberAdded();
    // One migration's stream ends after its result; a dropped one after the notice (sink.dropped).
    sub.done().whenComplete((ok, dropped) -> {
      if (dropped == null) {
        sink.end();
      } else {
        core.metrics().subscriberDropped();
      }
    });
    ctx.channel().closeFuture().addListener(f -> {
      sub.close();
      core.metrics().subscriberRemoved();
    });
  }

  private static ApiException asApiError(Throwable error) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (t instanceof ApiException e) {
      return e;
    }
    LOG.log(Level.ERROR, "internal error answering a request", t);
    return new ApiException(500, "internal_error", "internal error: " + t.getClass().getSimpleName());
  }

  private static void reply(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
    if (!keepAlive) {
      ErrorBodies.closeAfter(r);
    }
    var written = ctx.writeAndFlush(r);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A broken connection is the client's business; the daemon goes on.
    LOG.log(Level.DEBUG, "connection error: " + cause);
    ctx.close();
  }
}
