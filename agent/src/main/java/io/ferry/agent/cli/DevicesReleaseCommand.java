package io.ferry.agent.cli;

import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.PciAddress;
import io.ferry.vfio.ReleasedDevice;
import io.ferry.vfio.VfioDevices;
import java.io.PrintWriter;
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

  @Parameters(index = "0", paramLabel = "BDF", description = "PCI address DDDD:BB:DD.F",
      converter = DevicesCommand.PciAddressConverter.class)
  PciAddress address;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try {
      ReleasedDevice released = VfioDevices.forHost(journal.path()).release(address);
      released.steps().forEach(s -> out.println("  " + s));
      out.println("released " + released.address() + ": " + released.driver().orElse("(no driver)")
          + (released.leftOnVfio() ? " (it was on vfio-pci before ferry prepared it)" : ""));
      out.flush();
      return 0;
    } catch (DeviceOperationException e) {
      spec.commandLine().getErr().println("ferry devices release: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return 1;
    }
  }
}
