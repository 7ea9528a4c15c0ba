package io.ferry.agent.daemon;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's aggregator, but its refusals of an oversized body (by Content-Length, by chunks, or in
 * answer to {@code Expect: 100-continue}) and of an unsupported {@code Expect} are JSON errors like
 * every other.
 */
final class CappedAggregator extends HttpObjectAggregator {
  CappedAggregator(int maxBytes) {
    super(maxBytes);
  }

  // Set when a body was refused while the client is still sending it: the aggregator discards
  // the rest (nothing is buffered) and the connection closes at its end. Closing at once would
  // make the client's next write fail (EPIPE) before it reads the 413.
  private boolean closeAtEndOfBody;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    boolean endOfRefusedBody = closeAtEndOfBody && msg instanceof LastHttpContent;
    super.channelRead(ctx, msg);
    if (endOfRefusedBody) {
      ctx.close();
    }
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    FullHttpResponse r = ErrorBodies.response(tooLarge());
    ErrorBodies.closeAfter(r);
    if (oversized instanceof FullHttpMessage) {
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    } else {
      closeAtEndOfBody = true;
      ctx.writeAndFlush(r);
    }
  }

  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object r = super.newContinueResponse(start, maxContentLength, pipeline);
    if (r instanceof HttpResponse resp && resp.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
      ReferenceCountUtil.release(r);
      FullHttpResponse json = ErrorBodies.response(tooLarge());
      ErrorBodies.closeAfter(json);
      return json;
    }
    // An Expect other than 100-continue: Netty answers 417 with an empty body (found by ApiFuzzTest).
    if (r instanceof HttpResponse resp && resp.status().equals(HttpResponseStatus.EXPECTATION_FAILED)) {
      ReferenceCountUtil.release(r);
      FullHttpResponse json = ErrorBodies.response(new ApiException(417, "expectation_failed",
          "only 'Expect: 100-continue' is supported"));
      ErrorBodies.closeAfter(json);
      return json;
    }
    return r;
  }

  private static ApiException tooLarge() {
    return new ApiException(413, "body_too_large",
        "request bodies are limited to " + RequestParser.MAX_BODY_BYTES + " bytes");
  }
}
