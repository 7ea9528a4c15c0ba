package io.ferry.vfio.netlink;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Builds a run of netlink attributes, nested ones included, with the kernel's 4-byte alignment. */
public final class AttributeWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public AttributeWriter put(int type, byte[] value) {
    int length = 4 + value.length;
    ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
    header.putShort((short) length).putShort((short) type);
    out.writeBytes(header.array());
    out.writeBytes(value);
    out.writeBytes(new byte[NetlinkAttribute.align(length) - length]);
    return this;
  }

  public AttributeWriter putU32(int type, int value) {
    return put(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
  }

  public AttributeWriter putString(int type, String value) {
    byte[] text = value.getBytes(StandardCharsets.UTF_8);
    byte[] terminated = new byte[text.length + 1];
    System.arraycopy(text, 0, terminated, 0, text.length);
    return put(type, terminated);
  }

  /** A nested attribute whose children the consumer writes. */
  public AttributeWriter nest(int type, Consumer<AttributeWriter> children) {
    AttributeWriter inner = new AttributeWriter();
    children.accept(inner);
    return put(type | Rtnl.NLA_F_NESTED, inner.toByteArray());
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
