package io.ferry.qmp;

/** {@code add-fd}'s answer: the fd set and QEMU's own number for the passed descriptor. */
public record AddFdResult(int fdsetId, int fd) {}
