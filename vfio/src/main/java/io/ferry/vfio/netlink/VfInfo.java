package io.ferry.vfio.netlink;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * One VF's administrative settings as its PF reports them in {@code IFLA_VFINFO_LIST}.
 *
 * @param mac admin MAC, lowercase colon form ({@code 00:00:00:00:00:00} when unset)
 * @param vlan VLAN id, 0 for none
 * @param qos 802.1p priority of that VLAN
 * @param spoofChecking empty when the driver does not report it
 * @param trusted empty when the driver does not report it
 * @param linkState 0 auto, 1 enable, 2 disable; empty when not reported
 */
public record VfInfo(
    int vf,
    String mac,
    int vlan,
    int qos,
    Optional<Boolean> spoofChecking,
    Optional<Boolean> trusted,
    OptionalInt linkState) {}
