package io.ferry.qmp.codec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One command to send. {@code arguments} is null for none; {@code oob} selects {@code exec-oob}
 * instead of {@code execute}.
 */
public record QmpRequest(long id, String command, JsonNode arguments, boolean oob) {}
