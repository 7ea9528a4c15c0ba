package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.bench.BenchMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The form {@code ferry bench [options]} is the migration bench with the same options as
 * {@code ferry bench migration}; the subcommands stay. Only parsing and refusals here: nothing
 * starts a QEMU.
 */
class BenchCommandTest {
  private record Run(int exitCode, String stdout, String stderr) {}

  private static Run execute(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FerryMain.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static BenchMigrationOptions options(ParseResult bench) {
    Object command = bench.commandSpec().userObject();
    return command instanceof BenchCommand b ? b.migration : ((BenchMigrationCommand) command).options;
  }

  @Test
  void bareBenchWithOptionsParsesAsTheMigrationBench() {
    ParseResult bench = FerryMain.commandLine()
        .parseArgs("bench", "--runs", "3", "--mode", "plain", "--parallel", "4", "--dirty-rate", "20")
        .subcommand();
    assertThat(bench.commandSpec().name()).isEqualTo("bench");
    assertThat(bench.hasSubcommand()).isFalse();
    BenchMigrationOptions o = options(bench);
    assertThat(o.runs).isEqualTo(3);
    assertThat(o.mode).isEqualTo(BenchMode.PLAIN);
    assertThat(o.parallel).isEqualTo(4);
    assertThat(o.dirtyMbps).isEqualTo(20);
  }

  @Test
  void bareBenchAndTheMigrationSubcommandHaveTheSameOptionsAndDefaults() {
    CommandLine cli = FerryMain.commandLine();
    CommandLine bench = cli.getSubcommands().get("bench");
    CommandLine migration = bench.getSubcommands().get("migration");
    assertThat(bench.getCommandSpec().optionsMap().keySet())
        .containsAll(migration.getCommandSpec().optionsMap().keySet());
    BenchMigrationOptions bare = options(FerryMain.commandLine().parseArgs("bench").subcommand());
    BenchMigrationOptions sub = options(FerryMain.commandLine().parseArgs("bench", "migration").subcommand().subcommand());
    assertThat(bare.runs).isEqualTo(sub.runs).isEqualTo(20);
    assertThat(bare.parallel).isEqualTo(sub.parallel).isEqualTo(1);
    assertThat(bare.warmup).isEqualTo(sub.warmup).isEqualTo(1);
    assertThat(bare.mode).isEqualTo(sub.mode).isEqualTo(BenchMode.UNPLUG_REPLUG);
    assertThat(bench.getSubcommands()).containsKeys("migration", "qmp");
  }

  @Test
  void theSubcommandsStillParseTheirOwnOptions() {
    ParseResult migration = FerryMain.commandLine().parseArgs("bench", "migration", "--runs", "5").subcommand().subcommand();
    assertThat(options(migration).runs).isEqualTo(5);
    ParseResult qmp = FerryMain.commandLine().parseArgs("bench", "qmp", "--iterations", "64").subcommand().subcommand();
    assertThat(((BenchQmpCommand) qmp.commandSpec().userObject()).iterations).isEqualTo(64);
  }

  @Test
  void optionsBeforeASubcommandAreRefusedRatherThanDropped() {
    Run run = execute("bench", "--runs", "3", "migration");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.stderr()).contains("options go after the subcommand");
    Run qmp = execute("bench", "--runs", "3", "qmp");
    assertThat(qmp.exitCode()).isEqualTo(ExitCodes.INVALID);
  }

  @Test
  void bareBenchValidatesLikeTheSubcommandBeforeAnyQemuStarts() {
    Run parallel = execute("bench", "--parallel", "0");
    assertThat(parallel.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(parallel.stderr()).contains("--parallel must be between 1 and 16");
    Run warmup = execute("bench", "migration", "--warmup", "-1");
    assertThat(warmup.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(warmup.stderr()).contains("--warmup must be between 0 and 200");
    Run mode = execute("bench", "--mode", "sideways");
    assertThat(mode.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(mode.stderr()).contains("'sideways' is not a mode");
  }

  @Test
  void benchHelpListsTheMigrationOptionsAndTheSubcommands() {
    Run help = execute("bench", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.stdout()).contains("--parallel=P", "--runs", "migration", "qmp");
  }

  @Test
  void theLibvirtBaselineRefusesWhatItCannotDoAndAnUnknownBaselineIsNamed() {
    // Refused before libvirt is even asked (so whether it runs on this machine does not matter):
    // nothing to detach in plain mode, no parallel form.
    Run plain = execute("bench", "--baseline", "libvirt", "--mode", "plain", "--runs", "1");
    assertThat(plain.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(plain.stderr()).contains("--baseline libvirt detaches and attaches the NICs: --mode unplug-replug only");
    assertThat(plain.stdout()).doesNotContain("ferry bench migration:");
    Run parallel = execute("bench", "migration", "--baseline", "libvirt", "--parallel", "2");
    assertThat(parallel.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(parallel.stderr()).contains("--baseline runs with --parallel 1 only");
    Run other = execute("bench", "migration", "--baseline", "vmware");
    assertThat(other.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(other.stderr()).contains("'vmware' is not a baseline (raw, libvirt)");
  }
}
