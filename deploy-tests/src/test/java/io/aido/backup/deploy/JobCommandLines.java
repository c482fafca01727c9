package io.aido.backup.deploy;

import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.config.EnvironmentDefaults;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Checks a job's command line (as a CronJob, a Job template or the runbook writes it) against the
 * job's real picocli command tree, in-process: the subcommand exists, every option exists (where it
 * is written), the parser accepts the whole line, and every {@code BACKUP_*} variable given to it
 * names an option of that command.
 *
 * <p>Commands and options that other branches are adding are listed in {@link #PENDING_COMMANDS}
 * and {@link #PENDING_OPTIONS}: while one is missing its uses are skipped and reported; once it
 * exists the check fails until it is removed from the list, so that its options are checked.
 */
final class JobCommandLines {

  /** Image (module) name to its Main. */
  static final Map<String, Supplier<JobMain>> JOBS =
      Map.of(
          "job-db-backup", io.aido.backup.db.Main::new,
          "job-dapr-snapshot", io.aido.backup.dapr.Main::new,
          "job-manifest-export", io.aido.backup.manifests.Main::new,
          "job-verify", io.aido.backup.verify.Main::new,
          "job-retention", io.aido.backup.retention.Main::new);

  /** The command each image runs without arguments (the module's job.default-command). */
  static final Map<String, String> DEFAULT_COMMANDS =
      Map.of(
          "job-db-backup", "backup",
          "job-dapr-snapshot", "snapshot",
          "job-manifest-export", "export",
          "job-verify", "verify",
          "job-retention", "apply");

  /** Commands being added on other branches. */
  static final Set<String> PENDING_COMMANDS = Set.of();

  /** Options being added to existing commands on other branches. */
  static final Set<String> PENDING_OPTIONS = Set.of();

  /** What one check found. */
  record Result(List<String> problems, Set<String> pending) {
    Result {
      problems = List.copyOf(problems);
      pending = Set.copyOf(pending);
    }
  }

  private JobCommandLines() {}

  static CommandLine commandLine(String job) {
    Supplier<JobMain> main = JOBS.get(job);
    if (main == null) {
      throw new IllegalArgumentException("unknown job image '" + job + "'");
    }
    PrintStream sink = new PrintStream(new ByteArrayOutputStream());
    return main.get()
        .commandLine(new JobContext(Environment.of(Map.of()), sink, sink, Clock.systemUTC()));
  }

  /**
   * Checks {@code args} (what follows the entrypoint) and the {@code BACKUP_*} variables the
   * command gets. {@code where} names the source in problems.
   */
  static Result check(String where, String job, List<String> args, Set<String> backupVariables) {
    List<String> problems = new ArrayList<>();
    Set<String> pending = new LinkedHashSet<>();
    CommandLine cl = commandLine(job);
    CommandLine current = cl;
    List<String> path = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String token = args.get(i);
      CommandSpec spec = current.getCommandSpec();
      if (token.startsWith("-")) {
        String name = token.contains("=") ? token.substring(0, token.indexOf('=')) : token;
        OptionSpec option = spec.findOption(name);
        String key = job + " " + String.join(" ", path) + " " + name;
        if (option == null) {
          if (PENDING_OPTIONS.contains(key)) {
            pending.add(key);
            continue;
          }
          problems.add(where + ": " + key + ": no such option");
          continue;
        }
        if (PENDING_OPTIONS.contains(key)) {
          problems.add(
              where + ": " + key + " now exists: remove it from JobCommandLines.PENDING_OPTIONS");
        }
        kept.add(token);
        if (!token.contains("=") && option.arity().min() > 0 && i + 1 < args.size()) {
          kept.add(args.get(++i));
        }
        continue;
      }
      if (!current.getSubcommands().isEmpty()) {
        String key = job + " " + String.join(" ", path) + (path.isEmpty() ? "" : " ") + token;
        CommandLine sub = current.getSubcommands().get(token);
        if (sub == null) {
          if (PENDING_COMMANDS.contains(key)) {
            pending.add(key);
            return new Result(problems, pending);
          }
          problems.add(
              where + ": " + key + ": no such command (" + current.getSubcommands().keySet() + ")");
          return new Result(problems, pending);
        }
        if (PENDING_COMMANDS.contains(key)) {
          problems.add(
              where + ": " + key + " now exists: remove it from JobCommandLines.PENDING_COMMANDS");
        }
        current = sub;
        path.add(token);
      }
      kept.add(token);
    }
    if (path.isEmpty()) {
      problems.add(where + ": " + job + " " + args + ": names no command");
      return new Result(problems, pending);
    }
    try {
      ParseResult parsed = commandLine(job).parseArgs(kept.toArray(String[]::new));
      for (ParseResult r = parsed; r != null; r = r.subcommand()) {
        if (!r.unmatched().isEmpty()) {
          problems.add(where + ": " + job + " " + kept + ": not understood: " + r.unmatched());
        }
      }
    } catch (ParameterException e) {
      problems.add(where + ": " + job + " " + kept + ": " + e.getMessage());
    }
    Set<String> known = variables(current.getCommandSpec());
    for (String variable : backupVariables) {
      if (!known.contains(variable)) {
        problems.add(
            where
                + ": "
                + variable
                + " sets no option of "
                + job
                + " "
                + String.join(" ", path)
                + " (it has "
                + known
                + ")");
      }
    }
    return new Result(problems, pending);
  }

  /**
   * The Pushgateway grouping key ({@code job/command}) that a run of {@code args} with {@code env}
   * pushes under: the job's name and the command's own {@link JobCommand#metricsCommand()}, after
   * the real parser read the options and their variables.
   */
  static String groupingKey(String job, List<String> args, Map<String, String> env) {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream());
    CommandLine cl =
        JOBS.get(job)
            .get()
            .commandLine(new JobContext(Environment.of(env), sink, sink, Clock.systemUTC()));
    ParseResult r = cl.parseArgs(args.toArray(String[]::new));
    while (r.subcommand() != null) {
      r = r.subcommand();
    }
    if (!(r.commandSpec().userObject() instanceof JobCommand command)) {
      throw new AssertionError(job + " " + args + " is no job command");
    }
    return cl.getCommandName() + "/" + command.metricsCommand();
  }

  /** The BACKUP_* variables a command reads, by core's rule (EnvironmentDefaults). */
  static Set<String> variables(CommandSpec spec) {
    Set<String> names = new TreeSet<>();
    for (OptionSpec o : spec.options()) {
      if (!o.usageHelp() && !o.versionHelp()) {
        names.add(EnvironmentDefaults.variable(o.longestName()));
      }
    }
    return names;
  }
}
