package io.aido.backup.manifests;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import picocli.CommandLine.Command;

/**
 * Entry point of job-manifest-export. The shared commands (catalog, keyset) come from {@link
 * JobMain}; this job's own commands are listed in {@code subcommands}.
 */
@Command(
    name = "manifest-export",
    description =
        "Exports and re-applies the cluster's Kubernetes objects, encrypted Secrets, Helm release history and the Sealed Secrets key.",
    subcommands = {})
public final class Main extends JobMain {

  /** Runs the job with {@code args} against the process's environment; returns the exit code. */
  public static int execute(String... args) {
    return new Main().execute(JobContext.system(), args);
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }
}
