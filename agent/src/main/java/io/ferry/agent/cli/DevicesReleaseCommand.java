package io.ferry.agent.cli;

import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.VfioDevices;
import com.fasterxml.jackson.core.type.TypeReference;
import io.ferry.agent.daemon.DeviceJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code ferry devices release BDF}: give a device ferry prepared back to its original driver. */
@Command(
    name = "release",
    mixinStandardHelpOptions = true,
    description = "Undo a prepare recorded in the journal: restore driver_override, rebind the original driver,"
        + " wait for its netdev, restore the VF settings. A device that was already on vfio-pci stays there.")
final class DevicesReleaseCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin DevicesCommand.JournalOption journal;

  @Mixin DaemonOption daemonOption;

  @Parameters(index = "0", paramLabel = "BDF", description = "PCI address DDDD:BB:DD.F",
      converter = DevicesCommand.PciAddressConverter.class)
  PciAddress address;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<DaemonClient> daemon = daemonOption.daemon(spec.commandLine());
    Map<String, Object> released;
    try {
      if (daemon.isPresent()) {
        DaemonClient.Reply r = daemon.get().post("/v1/devices/" + address + "/release", null);
        if (r.status() != 200) {
          return failed(err, r.errorMessage());
        }
        released = DevicesCommand.JSON.readValue(r.body(), new TypeReference<Map<String, Object>>() {});
      } else {
        released = DeviceJson.released(VfioDevices.forHost(journal.path()).release(address));
      }
    } catch (DeviceOperationException e) {
      return failed(err, e.getMessage());
    } catch (IOException e) {
      return failed(err, "lost the daemon: " + e.getMessage());
    }
    ((List<?>) released.get("steps")).forEach(step -> out.println("  " + step));
    out.println("released " + released.get("address") + ": "
        + (released.get("driver") != null ? released.get("driver") : "(no driver)")
        + (Boolean.TRUE.equals(released.get("leftOnVfio")) ? " (it was on vfio-pci before ferry prepared it)" : ""));
    out.flush();
    return 0;
  }

  private static int failed(PrintWriter err, String message) {
    err.println("ferry devices release: " + message);
    err.flush();
    return 1;
  }
}
