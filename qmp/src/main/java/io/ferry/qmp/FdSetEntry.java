package io.ferry.qmp;

/** A descriptor inside an fd set; {@code opaque} is null when none was given. */
public record FdSetEntry(int fd, String opaque) {}
