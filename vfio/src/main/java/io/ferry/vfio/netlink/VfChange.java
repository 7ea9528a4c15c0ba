package io.ferry.vfio.netlink;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The VF settings one RTM_SETLINK on the PF should change; an empty field is left as it is.
 *
 * @param vlan VLAN id (0 removes the VLAN) and its qos travel together, as in struct ifla_vf_vlan
 */
public record VfChange(
    int vf,
    Optional<String> mac,
    OptionalInt vlan,
    int qos,
    Optional<Boolean> spoofChecking,
    Optional<Boolean> trusted,
    OptionalInt linkState) {

  /** The change that puts back what {@code saved} reported. */
  public static VfChange restoring(VfInfo saved) {
    return new VfChange(
        saved.vf(),
        Optional.of(saved.mac()),
        OptionalInt.of(saved.vlan()),
        saved.qos(),
        saved.spoofChecking(),
        saved.trusted(),
        saved.linkState());
  }

  public boolean isEmpty() {
    return mac.isEmpty() && vlan.isEmpty() && spoofChecking.isEmpty() && trusted.isEmpty() && linkState.isEmpty();
  }
}
