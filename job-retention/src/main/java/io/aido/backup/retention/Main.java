package io.aido.backup.retention;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import picocli.CommandLine.Command;

/**
 * Entry point of job-retention. The shared commands (catalog, keyset, rewrap) come from {@link
 * JobMain}; this job's own commands are listed in {@code subcommands}.
 */
@Command(
    name = "retention",
    description =
        "Applies the retention policy to the repository (keeps daily and monthly backups, expires WAL, clears unfinished leftovers) and replicates it to a secondary repository.",
    subcommands = {ApplyCommand.class, ReplicateCommand.class})
public final class Main extends JobMain {

  /** Runs the job with {@code args} against the process's environment; returns the exit code. */
  public static int execute(String... args) {
    return new Main().execute(JobContext.system(), args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
