package io.aido.backup.verify;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import picocli.CommandLine.Command;

/**
 * Entry point of job-verify. The shared commands (catalog, keyset, rewrap) come from {@link
 * JobMain}; this job's own commands are listed in {@code subcommands}.
 */
@Command(
    name = "verify",
    description =
        "Verifies backups end to end, test-restores database dumps and checks freshness against the RPO.",
    subcommands = {VerifyCommand.class})
public final class Main extends JobMain {

  /** Runs the job with {@code args} against the process's environment; returns the exit code. */
  public static int execute(String... args) {
    return new Main().execute(JobContext.system(), args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
