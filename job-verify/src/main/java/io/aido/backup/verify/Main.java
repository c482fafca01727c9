package io.aido.backup.verify;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of job-verify. The shared commands (catalog, keyset, rewrap) come from {@link
 * JobMain}; this job's own commands are listed in {@code subcommands}.
 */
@Command(
    name = "verify",
    description =
        "Verifies backups end to end, test-restores database dumps, checks freshness against the RPO and runs the disaster-recovery drill.",
    subcommands = {VerifyCommand.class, DrillCommand.class})
public final class Main extends JobMain {
  private final VerifyCommand verify;

  public Main() {
    this(null);
  }

  /** For tests: runs {@code verify}, built with test seams, as the verify command. */
  Main(VerifyCommand verify) {
    this.verify = verify;
  }

  @Override
  protected CommandLine.IFactory factory() {
    CommandLine.IFactory commands = super.factory();
    if (verify == null) {
      return commands;
    }
    return new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> type) throws Exception {
        return type == VerifyCommand.class ? type.cast(verify) : commands.create(type);
      }
    };
  }

  /** Runs the job with {@code args} against the process's environment; returns the exit code. */
  public static int execute(String... args) {
    return new Main().execute(JobContext.system(), args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
