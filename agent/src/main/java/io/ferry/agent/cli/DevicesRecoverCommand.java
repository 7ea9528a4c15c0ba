package io.ferry.agent.cli;

import io.ferry.vfio.DeviceOperationException;
import io.ferry.vfio.ReleasedDevice;
import io.ferry.vfio.VfioDevices;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ferry devices recover}: replay the journal to undo prepares a crash interrupted. */
@Command(
    name = "recover",
    mixinStandardHelpOptions = true,
    description = "Put back every device whose prepare or release was interrupted (journal replay).")
final class DevicesRecoverCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin DevicesCommand.JournalOption journal;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try {
      List<ReleasedDevice> recovered = VfioDevices.forHost(journal.path()).recover();
      for (ReleasedDevice r : recovered) {
        r.steps().forEach(s -> out.println("  " + s));
        out.println("recovered " + r.address() + ": " + r.driver().orElse("(no driver)"));
      }
      out.println(recovered.isEmpty() ? "nothing to recover" : recovered.size() + " device(s) recovered");
      out.flush();
      return 0;
    } catch (DeviceOperationException | java.io.IOException e) {
      spec.commandLine().getErr().println("ferry devices recover: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return 1;
    }
  }
}
