package io.ferry.qmp.codec;

/**
 * One command to send. {@code arguments} is null for none, else a JSON object: an {@code
 * ObjectNode}, or a {@code Map} the client checked holds only plain JSON values (kept as a map so
 * that the common case is not copied into a tree just to be written). {@code oob} selects {@code
 * exec-oob} instead of {@code execute}.
 */
public record QmpRequest(long id, String command, Object arguments, boolean oob) {}
