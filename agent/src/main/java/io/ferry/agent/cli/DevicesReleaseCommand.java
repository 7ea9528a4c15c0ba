package io.ferry.agent.cli;

import io.ferry.vfio.PciAddress;
import io.ferry.vfio.VfioDevices;
import io.ferry.agent.daemon.DeviceJson;
import java.io.PrintWriter;
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
    Optional<Map<String, Object>> result = DeviceCall.run("release", daemon, address.toString(), null,
        () -> DeviceJson.released(VfioDevices.forHost(journal.path()).release(address)), err);
    if (result.isEmpty()) {
      return 1;
    }
    Map<String, Object> released = result.get();
    DeviceCall.printSteps(released, out);
    out.println("released " + released.get("address") + ": "
        + (released.get("driver") != null ? released.get("driver") : "(no driver)")
        + (Boolean.TRUE.equals(released.get("leftOnVfio")) ? " (it was on vfio-pci before ferry prepared it)" : ""));
    out.flush();
    return 0;
  }
}
