package io.ferry.qmp;

/** One entry of {@code qom-list}. */
public record QomProperty(String name, String type) {}
