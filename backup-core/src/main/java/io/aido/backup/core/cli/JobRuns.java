package io.aido.backup.core.cli;

import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.LogFormat;
import io.aido.backup.core.config.Redaction;
import io.aido.backup.core.config.RunOptions;
import io.aido.backup.core.config.ValidatedOptions;
import io.aido.backup.core.observability.RunMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;

/** The steps of {@link JobCommand#call} around the command's own work. */
final class JobRuns {
  private static final Logger LOG = LoggerFactory.getLogger(JobCommand.class);

  private JobRuns() {}

  /**
   * The configuration problems of a run of {@code spec}: unknown options and extra arguments (of
   * the command and each parent), the shared {@code options}, and every {@link ValidatedOptions}
   * mixin of the command.
   */
  static ConfigProblems problems(CommandSpec spec, RunOptions options) {
    ConfigProblems problems = new ConfigProblems();
    // the job's name and each parent command may have been given unknown arguments too
    for (CommandSpec s = spec; s != null; s = s.parent()) {
      for (String unknown : s.commandLine().getUnmatchedArguments()) {
        problems.add(
            (unknown.startsWith("-") ? "unknown option '" : "unexpected argument '")
                + unknown
                + "' (see '"
                + s.qualifiedName()
                + " --help')");
      }
    }
    options.validate(problems);
    for (CommandSpec mixin : spec.mixins().values()) {
      if (mixin.userObject() instanceof ValidatedOptions validated) {
        validated.validate(problems);
      }
    }
    return problems;
  }

  /** The one line of a {@link JobException}, on stderr and in the JSON log; its exit code. */
  static int report(JobException e, RunOptions options, PrintStream err) {
    String line = Redaction.redact("error: " + e.getMessage());
    if (options.logFormat() == LogFormat.JSON) {
      LOG.error(line);
    }
    err.println(line);
    return e.exitCode();
  }

  /** Pushes {@code metrics} when a Pushgateway is set; a failed push is a warning. */
  static void push(RunMetrics metrics, RunOptions options) {
    Optional<URI> gateway = options.pushgateway();
    if (gateway.isEmpty()) {
      return;
    }
    try {
      metrics.push(gateway.get());
    } catch (IOException | RuntimeException e) {
      LOG.warn("unable to push metrics to {}: {}", gateway.get(), JobMain.message(e));
    }
  }
}
