package io.ferry.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ferry.agent.daemon.DeviceJson;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.PciDevice;
import io.ferry.vfio.VfioDevices;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry devices}: lists PCI devices; its subcommands prepare, release and recover them. */
@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = "List PCI devices (driver, IOMMU group, SR-IOV, netdevs); prepare/release them for VFIO.",
    subcommands = {DevicesPrepareCommand.class, DevicesReleaseCommand.class, DevicesRecoverCommand.class})
public final class DevicesCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin JournalOption journal;

  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<PciDevice> devices = VfioDevices.forHost(journal.path()).list();
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (PciDevice d : devices) {
        rows.add(toJson(d));
      }
      out.println(JSON.writeValueAsString(rows));
    } else {
      out.printf("%-13s %-9s %-6s %-12s %-9s %-5s %-4s %-14s %s%n",
          "ADDRESS", "ID", "CLASS", "DRIVER", "OVERRIDE", "GROUP", "NUMA", "SR-IOV", "NET");
      for (PciDevice d : devices) {
        out.printf("%-13s %04x:%04x %04x   %-12s %-9s %-5s %-4s %-14s %s%n",
            d.address(), d.vendor(), d.device(), d.pciClass() >> 8,
            d.driver().orElse("-"), d.driverOverride().orElse("-"),
            d.iommuGroup().isPresent() ? Integer.toString(d.iommuGroup().getAsInt()) : "-",
            d.numaNode().isPresent() ? Integer.toString(d.numaNode().getAsInt()) : "-",
            sriov(d),
            d.netInterfaces().stream().map(n -> n.name() + "(" + n.mac() + ")").collect(Collectors.joining(",")));
      }
    }
    out.flush();
    return 0;
  }

  private static String sriov(PciDevice d) {
    if (d.physfn().isPresent()) {
      return "vf" + (d.vfIndex().isPresent() ? d.vfIndex().getAsInt() : "?") + " of " + d.physfn().get().toString().substring(5);
    }
    return d.virtualFunctions().isEmpty() ? "-" : "pf, " + d.virtualFunctions().size() + " vfs";
  }

  /** One device as the JSON object of {@code --json} and of the daemon's {@code GET /v1/devices}. */
  public static Map<String, Object> toJson(PciDevice d) {
    return DeviceJson.device(d);
  }

  /** Where the device journal lives; every devices subcommand shares it. */
  static final class JournalOption {
    @Option(
        names = "--journal",
        paramLabel = "FILE",
        description = "Device journal (default: ${DEFAULT-VALUE}; env FERRY_DEVICE_JOURNAL).",
        defaultValue = "${env:FERRY_DEVICE_JOURNAL:-/var/lib/ferry/devices.journal}")
    Path path;

    Path path() {
      return path;
    }
  }

  /** picocli converter: the strict {@link PciAddress#parse}. */
  static final class PciAddressConverter implements CommandLine.ITypeConverter<PciAddress> {
    @Override
    public PciAddress convert(String value) {
      try {
        return PciAddress.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
