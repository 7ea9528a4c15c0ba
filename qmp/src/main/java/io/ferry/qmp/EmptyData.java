package io.ferry.qmp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The shared empty {@code data} object of events that carry none (never mutated). */
final class EmptyData {
  static final ObjectNode INSTANCE = JsonNodeFactory.instance.objectNode();

  private EmptyData() {}
}
