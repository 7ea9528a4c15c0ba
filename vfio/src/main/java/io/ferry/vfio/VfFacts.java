package io.ferry.vfio;

import io.ferry.vfio.netlink.VfInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** Saved VF settings to and from journal facts. */
final class VfFacts {
  private VfFacts() {}

  static Map<String, String> toFacts(VfInfo vf) {
    Map<String, String> facts = new HashMap<>();
    facts.put("vf", Integer.toString(vf.vf()));
    facts.put("mac", vf.mac());
    facts.put("vlan", Integer.toString(vf.vlan()));
    facts.put("qos", Integer.toString(vf.qos()));
    vf.spoofChecking().ifPresent(s -> facts.put("spoofchk", s.toString()));
    vf.trusted().ifPresent(t -> facts.put("trust", t.toString()));
    vf.linkState().ifPresent(l -> facts.put("linkState", Integer.toString(l)));
    return facts;
  }

  static VfInfo fromFacts(Map<String, String> facts) {
    return new VfInfo(
        Integer.parseInt(facts.get("vf")),
        facts.get("mac"),
        Integer.parseInt(facts.get("vlan")),
        Integer.parseInt(facts.get("qos")),
        Optional.ofNullable(facts.get("spoofchk")).map(Boolean::parseBoolean),
        Optional.ofNullable(facts.get("trust")).map(Boolean::parseBoolean),
        facts.containsKey("linkState") ? OptionalInt.of(Integer.parseInt(facts.get("linkState"))) : OptionalInt.empty());
  }
}
