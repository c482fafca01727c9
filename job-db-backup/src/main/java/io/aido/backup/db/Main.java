package io.aido.backup.db;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import picocli.CommandLine.Command;

/**
 * Entry point of job-db-backup. The shared commands (catalog, keyset, rewrap) come from {@link
 * JobMain}; this job's own commands are listed in {@code subcommands}.
 */
@Command(
    name = "db-backup",
    description =
        "Backs up and restores the TODO app's PostgreSQL: logical dumps, base backups and WAL archiving for point-in-time recovery.",
    subcommands = {
      BackupCommand.class,
      RestoreCommand.class,
      BaseBackupCommand.class,
      WalArchiveCommand.class,
      RestorePitrCommand.class
    })
public final class Main extends JobMain {

  /** Runs the job with {@code args} against the process's environment; returns the exit code. */
  public static int execute(String... args) {
    return new Main().execute(JobContext.system(), args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
