package io.ferry.agent.cli;

import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PrepareRequest;
import io.ferry.vfio.VfioDevices;
import io.ferry.agent.daemon.DeviceJson;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry devices prepare BDF}: bind to vfio-pci and prove it usable, journaled. */
@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description = "Bind a device to vfio-pci (driver_override + unbind + drivers_probe), check its IOMMU group"
        + " and VFIO viability, and for an SR-IOV VF set its MAC/VLAN/spoofchk/trust through the PF."
        + " A failure midway puts the device back as it was found.")
final class DevicesPrepareCommand implements Callable<Integer> {
  enum OnOff { on, off }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin DevicesCommand.JournalOption journal;

  @Mixin DaemonOption daemonOption;

  @Parameters(index = "0", paramLabel = "BDF", description = "PCI address DDDD:BB:DD.F",
      converter = DevicesCommand.PciAddressConverter.class)
  PciAddress address;

  @Option(names = "--mac", paramLabel = "MAC", description = "VF admin MAC, aa:bb:cc:dd:ee:ff")
  String mac;

  @Option(names = "--vlan", paramLabel = "ID", description = "VF VLAN id 0-4095 (0: none)")
  Integer vlan;

  @Option(names = "--spoofchk", paramLabel = "on|off", description = "VF MAC spoof checking")
  OnOff spoofchk;

  @Option(names = "--trust", paramLabel = "on|off", description = "VF trust mode")
  OnOff trust;

  @Option(names = "--allow-no-iommu", description = "Accept a device without an IOMMU group (no DMA isolation).")
  boolean allowNoIommu;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PrepareRequest request;
    try {
      request = new PrepareRequest(address, Optional.ofNullable(mac),
          vlan == null ? OptionalInt.empty() : OptionalInt.of(vlan),
          Optional.ofNullable(spoofchk).map(s -> s == OnOff.on),
          Optional.ofNullable(trust).map(t -> t == OnOff.on),
          allowNoIommu);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Optional<DaemonClient> daemon = daemonOption.daemon(spec.commandLine());
    Optional<Map<String, Object>> result = DeviceCall.run("prepare", daemon, address.toString(),
        settings(),
        () -> DeviceJson.prepared(VfioDevices.forHost(journal.path()).prepare(request)), err);
    if (result.isEmpty()) {
      return 1;
    }
    Map<String, Object> prepared = result.get();
    DeviceCall.printSteps(prepared, out);
    out.println("prepared " + prepared.get("address") + ": vfio-pci"
        + (prepared.get("vfioDevice") != null ? ", " + prepared.get("vfioDevice") : "")
        + (Boolean.TRUE.equals(prepared.get("boundByFerry"))
            ? ", was " + (prepared.get("originalDriver") != null ? prepared.get("originalDriver") : "(no driver)")
            : ", already on vfio-pci (release will leave it there)"));
    out.flush();
    return 0;
  }

  /** The request's settings as the daemon's prepare body. */
  private Map<String, Object> settings() {
    Map<String, Object> body = new LinkedHashMap<>();
    if (mac != null) {
      body.put("mac", mac);
    }
    if (vlan != null) {
      body.put("vlan", vlan);
    }
    if (spoofchk != null) {
      body.put("spoofchk", spoofchk == OnOff.on);
    }
    if (trust != null) {
      body.put("trust", trust == OnOff.on);
    }
    if (allowNoIommu) {
      body.put("allowNoIommu", true);
    }
    return body;
  }

}
