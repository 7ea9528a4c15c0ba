package io.ferry.vfio;

/** What the VFIO ioctls said about a group and the container API. */
public record GroupStatus(boolean viable, int apiVersion, boolean type1Supported) {}
