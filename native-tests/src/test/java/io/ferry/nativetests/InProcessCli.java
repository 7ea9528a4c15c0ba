package io.ferry.nativetests;

import io.ferry.agent.cli.FerryMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs a {@code ferry} command line in the test's JVM, capturing what it prints. */
public final class InProcessCli {
  /** The exit code and what the command wrote to its out and err writers. */
  public record Run(int exitCode, String stdout, String stderr) {}

  private InProcessCli() {}

  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FerryMain.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
