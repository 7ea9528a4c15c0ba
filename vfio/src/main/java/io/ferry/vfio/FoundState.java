package io.ferry.vfio;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** The device as ferry found it before a prepare: what release and recovery put back. */
record FoundState(
    Optional<String> driver,
    Optional<String> driverOverride,
    List<String> netInterfaces,
    Optional<String> pfInterface,
    OptionalInt vfIndex) {

  static FoundState of(PciDevice device, Optional<String> pfInterface) {
    return new FoundState(
        device.driver(),
        device.driverOverride(),
        device.netInterfaces().stream().map(NetInterface::name).toList(),
        pfInterface,
        device.vfIndex());
  }

  Map<String, String> toFacts() {
    Map<String, String> facts = new HashMap<>();
    driver.ifPresent(d -> facts.put("driver", d));
    driverOverride.ifPresent(o -> facts.put("driverOverride", o));
    facts.put("netInterfaces", String.join(",", netInterfaces));
    pfInterface.ifPresent(p -> facts.put("pfInterface", p));
    vfIndex.ifPresent(i -> facts.put("vfIndex", Integer.toString(i)));
    return facts;
  }

  static FoundState fromFacts(Map<String, String> facts) {
    String nets = facts.getOrDefault("netInterfaces", "");
    return new FoundState(
        Optional.ofNullable(facts.get("driver")),
        Optional.ofNullable(facts.get("driverOverride")),
        nets.isEmpty() ? List.of() : Arrays.asList(nets.split(",")),
        Optional.ofNullable(facts.get("pfInterface")),
        facts.containsKey("vfIndex") ? OptionalInt.of(Integer.parseInt(facts.get("vfIndex"))) : OptionalInt.empty());
  }
}
