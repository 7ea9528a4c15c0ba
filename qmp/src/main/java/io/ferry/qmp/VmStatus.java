package io.ferry.qmp;

/** {@code query-status}: status is e.g. running, paused, inmigrate, postmigrate, prelaunch. */
public record VmStatus(String status, boolean running) {}
