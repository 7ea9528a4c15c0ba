package io.ferry.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The shipped example config (packaging/ferry.env) and unit (packaging/ferry.service) stay in step
 * with {@code ferry serve}: every option is listed with its real default, and the unit's command
 * line, with those defaults, is one {@code ferry serve} accepts.
 */
class ServeConfigExampleTest {
  // Tests run in the agent module's directory; packaging/ is at the repository root.
  private static final Path PACKAGING = Path.of("..", "packaging");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(FERRY_[A-Z_]+)}?");

  private static List<OptionSpec> serveOptions() {
    return FerryMain.commandLine().getSubcommands().get("serve").getCommandSpec().options().stream()
        .filter(o -> !o.usageHelp() && !o.versionHelp() && !o.hidden()) // hidden: test-only options
        .toList();
  }

  @Test
  void everyServeOptionIsInTheExampleWithItsDefault() throws Exception {
    String env = Files.readString(PACKAGING.resolve("ferry.env"));
    for (OptionSpec o : serveOptions()) {
      assertThat(env).as("option " + o.longestName()).contains(o.longestName());
      String fallback = o.defaultValue() == null ? null
          : o.defaultValue().replaceAll("\\$\\{env:[A-Z_]+:-(.*)}", "$1");
      if (fallback != null) {
        assertThat(env).as("default of " + o.longestName()).contains("=" + fallback + "\n");
      }
    }
  }

  @Test
  void theUnitReadsTheExampleAndPassesEveryVariableItSets() throws Exception {
    String unit = Files.readString(PACKAGING.resolve("ferry.service"));
    String env = Files.readString(PACKAGING.resolve("ferry.env"));
    assertThat(unit).contains("EnvironmentFile=-/etc/ferry/ferry.env");
    String execStart = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
    Matcher keys = Pattern.compile("(?m)^#?(FERRY_[A-Z_]+)=").matcher(env);
    while (keys.find()) {
      assertThat(execStart).as("ExecStart uses " + keys.group(1)).contains(keys.group(1));
    }
  }

  @Test
  void theUnitsCommandLineWithItsDefaultsIsOneFerryServeAccepts() throws Exception {
    String unit = Files.readString(PACKAGING.resolve("ferry.service"));
    Map<String, String> defaults = new LinkedHashMap<>();
    unit.lines().filter(l -> l.startsWith("Environment=")).forEach(l -> {
      String kv = l.substring("Environment=".length());
      defaults.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    });
    String execStart = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow()
        .substring("ExecStart=".length());
    Matcher m = VARIABLE.matcher(execStart);
    StringBuilder expanded = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(expanded, Matcher.quoteReplacement(defaults.get(m.group(1))));
    }
    m.appendTail(expanded);
    List<String> args = List.of(expanded.toString().trim().split("\\s+"));
    assertThat(args.subList(0, 2)).containsExactly("/usr/local/bin/ferry", "serve");
    ServeCommand parsed = new ServeCommand();
    new CommandLine(parsed).parseArgs(args.subList(2, args.size()).toArray(String[]::new));
    assertThat(parsed.socket).isEqualTo(Path.of("/run/ferry/ferry.sock"));
    assertThat(parsed.stopGrace).hasSeconds(60);
    assertThat(parsed.journal.path()).isEqualTo(Path.of("/var/lib/ferry/devices.journal"));
  }
}
