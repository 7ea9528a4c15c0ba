package io.ferry.agent.cli;

import com.fasterxml.jackson.core.type.TypeReference;
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
import java.util.Optional;
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
    description = {"List PCI devices (driver, IOMMU group, SR-IOV, netdevs); prepare/release them for VFIO.",
        "When a ferry daemon runs (--socket, or one answering on /run/ferry/ferry.sock), list, prepare"
            + " and release go through it (and its journal); recover always runs in this process."},
    subcommands = {DevicesPrepareCommand.class, DevicesReleaseCommand.class, DevicesRecoverCommand.class})
public final class DevicesCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin JournalOption journal;

  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  @Mixin DaemonOption daemonOption;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Optional<DaemonClient> daemon = daemonOption.daemon(spec.commandLine());
    List<Map<String, Object>> devices = new ArrayList<>();
    if (daemon.isPresent()) {
      DaemonClient.Reply r = daemon.get().get("/v1/devices");
      if (r.status() != 200) {
        spec.commandLine().getErr().println("ferry devices: " + r.errorMessage());
        spec.commandLine().getErr().flush();
        return 1;
      }
      devices = JSON.readValue(r.body(), new TypeReference<List<Map<String, Object>>>() {});
    } else {
      for (PciDevice d : VfioDevices.forHost(journal.path()).list()) {
        devices.add(toJson(d));
      }
    }
    if (json) {
      out.println(JSON.writeValueAsString(devices));
    } else {
      out.printf("%-13s %-9s %-6s %-12s %-9s %-5s %-4s %-14s %s%n",
          "ADDRESS", "ID", "CLASS", "DRIVER", "OVERRIDE", "GROUP", "NUMA", "SR-IOV", "NET");
      for (Map<String, Object> d : devices) {
        out.printf("%-13s %s:%s %s   %-12s %-9s %-5s %-4s %-14s %s%n",
            d.get("address"), hex(d.get("vendor")), hex(d.get("device")),
            hex(d.get("class")).substring(0, 4),
            orDash(d.get("driver")), orDash(d.get("driverOverride")),
            orDash(d.get("iommuGroup")), orDash(d.get("numaNode")),
            sriov(d), nets(d));
      }
    }
    out.flush();
    return 0;
  }

  private static String hex(Object prefixed) {
    return String.valueOf(prefixed).substring(2);
  }

  private static String orDash(Object value) {
    return value == null ? "-" : value.toString();
  }

  private static String sriov(Map<String, Object> d) {
    if (d.get("physfn") != null) {
      return "vf" + orDash(d.get("vfIndex")).replace("-", "?") + " of " + d.get("physfn").toString().substring(5);
    }
    List<?> vfs = (List<?>) d.get("virtualFunctions");
    return vfs == null || vfs.isEmpty() ? "-" : "pf, " + vfs.size() + " vfs";
  }

  private static String nets(Map<String, Object> d) {
    List<?> nets = (List<?>) d.get("netInterfaces");
    return nets == null ? "" : nets.stream()
        .map(n -> (Map<?, ?>) n)
        .map(n -> n.get("name") + "(" + n.get("mac") + ")")
        .collect(Collectors.joining(","));
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
