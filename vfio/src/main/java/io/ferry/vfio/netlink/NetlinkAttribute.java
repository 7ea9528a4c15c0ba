package io.ferry.vfio.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** One netlink attribute (struct nlattr): a type (flags masked off) and its payload bytes. */
public record NetlinkAttribute(int type, boolean nested, byte[] value) {

  /** Parses a run of attributes; a truncated or overlong one is an error, not silently dropped. */
  public static List<NetlinkAttribute> parseAll(ByteBuffer bytes) {
    ByteBuffer in = bytes.slice().order(ByteOrder.nativeOrder());
    List<NetlinkAttribute> out = new ArrayList<>();
    while (in.remaining() >= 4) {
      int start = in.position();
      int length = Short.toUnsignedInt(in.getShort());
      int rawType = Short.toUnsignedInt(in.getShort());
      if (length < 4 || start + length > in.limit()) {
        throw new NetlinkFormatException("attribute of type " + rawType + " claims " + length
            + " bytes at offset " + start + ", buffer has " + (in.limit() - start));
      }
      byte[] value = new byte[length - 4];
      in.get(value);
      out.add(new NetlinkAttribute(rawType & Rtnl.NLA_TYPE_MASK, (rawType & Rtnl.NLA_F_NESTED) != 0, value));
      in.position(Math.min(in.limit(), start + align(length)));
    }
    return out;
  }

  public static Optional<NetlinkAttribute> first(List<NetlinkAttribute> attributes, int type) {
    return attributes.stream().filter(a -> a.type == type).findFirst();
  }

  static int align(int length) {
    return (length + 3) & ~3;
  }

  public List<NetlinkAttribute> children() {
    return parseAll(ByteBuffer.wrap(value));
  }

  public ByteBuffer buffer() {
    return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
  }

  public int u32() {
    if (value.length < 4) {
      throw new NetlinkFormatException("attribute " + type + " too short for u32: " + value.length);
    }
    return buffer().getInt();
  }

  /** A NUL-terminated string attribute. */
  public String string() {
    int end = 0;
    while (end < value.length && value[end] != 0) {
      end++;
    }
    return new String(value, 0, end, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NetlinkAttribute a && a.type == type && a.nested == nested && Arrays.equals(a.value, value);
  }

  @Override
  public int hashCode() {
    return 31 * type + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "NetlinkAttribute[type=" + type + ", nested=" + nested + ", length=" + value.length + "]";
  }
}
