package io.ferry.agent.plan;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One ephemeral device: its qdev id on the source, its policy, and the {@code device_add}
 * properties to use on the destination. Empty destination properties mean "the same as the
 * source device's own" (read from the source with {@code qom-get}). When present they are the
 * complete {@code device_add} arguments except {@code id}, and hold {@code driver}. Values are
 * {@link String}, {@link Long}, {@link Double} or {@link Boolean}.
 */
public record DevicePlan(
    String id, DevicePolicy policy, Optional<Map<String, Object>> destinationProperties) {
  public DevicePlan {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(destinationProperties, "destinationProperties");
    destinationProperties =
        destinationProperties.map(p -> Collections.unmodifiableMap(new LinkedHashMap<>(p)));
  }

  /** A device moved with the same properties it has on the source. */
  public static DevicePlan sameAsSource(String id, DevicePolicy policy) {
    return new DevicePlan(id, policy, Optional.empty());
  }
}
