package io.ferry.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** Any event without a typed record. */
public record GenericEvent(String name, QmpTimestamp timestamp, JsonNode data)
    implements QmpEvent {}
