package io.ferry.qmp.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;

/** {@link QmpRequest} → one line of JSON: {@code {"execute":..,"arguments":..,"id":N}\n}. */
@Sharable
public final class QmpEncoder extends MessageToByteEncoder<QmpRequest> {

  public QmpEncoder() {
    super(QmpRequest.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, QmpRequest request, ByteBuf out)
      throws IOException {
    writeTo(request, out);
  }

  /** Also used for the frames that go out through sendmsg with a file descriptor attached. */
  public static void writeTo(QmpRequest request, ByteBuf out) throws IOException {
    try (ByteBufOutputStream stream = new ByteBufOutputStream(out);
        JsonGenerator json = QmpJson.MAPPER.getFactory().createGenerator((java.io.OutputStream) stream)) {
      json.writeStartObject();
      json.writeStringField(request.oob() ? "exec-oob" : "execute", request.command());
      if (request.arguments() != null) {
        json.writeFieldName("arguments");
        QmpJson.MAPPER.writeValue(json, request.arguments()); // a tree or a plain map alike
      }
      json.writeNumberField("id", request.id());
      json.writeEndObject();
    }
    out.writeByte('\n');
  }
}
