package io.ferry.qmp;

/** The {@code ram} part of {@code query-migrate}; fields QEMU did not report are 0. */
public record RamStats(
    long transferred,
    long remaining,
    long total,
    long duplicate,
    long normal,
    long dirtySyncCount,
    long dirtyPagesRate,
    double mbps,
    long pageSize,
    long postcopyRequests) {}
