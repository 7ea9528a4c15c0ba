package io.ferry.agent.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** Reads the host's PCI devices as JSON objects (sysfs reads: blocking, so never on the event loop). */
@FunctionalInterface
public interface DeviceLister {
  List<Map<String, Object>> list() throws IOException;
}
