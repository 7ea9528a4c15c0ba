package io.ferry.qmp.codec;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.qmp.QmpEvent;
import io.ferry.qmp.QmpGreeting;

/** One frame from QEMU, classified. */
public sealed interface QmpMessage {

  /** The first frame of every connection. */
  record Greeting(QmpGreeting greeting) implements QmpMessage {}

  /** A successful reply; {@code id} is null when the command carried none. */
  record Return(JsonNode id, JsonNode value) implements QmpMessage {}

  /**
   * A failed reply. An error with a null {@code id} answers no particular command: QEMU could not
   * parse what it received, so the stream is out of sync.
   */
  record Error(JsonNode id, String errorClass, String description) implements QmpMessage {}

  /** An asynchronous event. */
  record Event(QmpEvent event) implements QmpMessage {}
}
