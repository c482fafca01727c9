package io.aido.backup.core.cli;

import io.aido.backup.core.cli.internal.CatalogCommand;
import io.aido.backup.core.cli.internal.JobVersion;
import io.aido.backup.core.cli.internal.KeysetCommand;
import io.aido.backup.core.cli.internal.RewrapCommand;
import io.aido.backup.core.config.ConfigurationException;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.LogFormat;
import io.aido.backup.core.config.Redaction;
import io.aido.backup.core.config.RunOptions;
import io.aido.backup.core.config.Secret;
import io.aido.backup.core.observability.internal.Logging;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;

/**
 * The top command of a job: its name, {@code --help}, {@code --version}, the options every command
 * shares ({@link RunOptions}), the shared subcommands ({@code catalog}, {@code keyset}, {@code
 * rewrap}) and the mapping of outcomes to {@link ExitCodes}.
 *
 * <p>A job's {@code Main} is an annotated subclass; adding a subcommand is one entry in {@code
 * subcommands}:
 *
 * <pre>{@code
 * @Command(name = "db-backup", description = "Backs up PostgreSQL.",
 *     subcommands = {BackupCommand.class, RestoreCommand.class})
 * public final class Main extends JobMain {
 *   public static int execute(String... args) { return new Main().execute(JobContext.system(), args); }
 *   public static void main(String[] args) { System.exit(execute(args)); }
 * }
 * }</pre>
 *
 * <p>Guarantees of {@link #execute}: it never throws. Usage errors (an unknown subcommand, an
 * option without its value) print "error: ..." and a hint on stderr and return {@value
 * ExitCodes#USAGE}; a {@link ConfigurationException} returns {@value ExitCodes#USAGE} with every
 * problem in one message; {@link VerificationFailedException} returns {@value
 * ExitCodes#VERIFICATION_FAILED}; any other failure returns {@value ExitCodes#FAILED} with one line
 * "error: ..." and a stack trace only with {@code --debug} ({@code BACKUP_DEBUG=true}). Every line
 * passes through {@link Redaction}. Logging is set up ({@link Logging}) before a command runs, with
 * MDC {@code job} set to the job's name.
 */
@Command(
    mixinStandardHelpOptions = true,
    versionProvider = JobVersion.class,
    subcommands = {CatalogCommand.class, KeysetCommand.class, RewrapCommand.class},
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  done",
      "  1  failed; the message says why and what is safe",
      "  2  bad usage or configuration; nothing was done",
      "  3  verification found a bad backup",
      "",
      "Every option can also be set by an environment variable: --storage-url by"
          + " BACKUP_STORAGE_URL, and so on (each command's --help lists them). Secrets are read"
          + " only from environment variables or files named by *_FILE variables, never from flags.",
      "Logs are JSON lines on stdout (--log-format json, the default) or text on stderr"
          + " (--log-format text)."
    })
public abstract class JobMain {
  private static final Logger LOG = LoggerFactory.getLogger(JobMain.class);
  static final String ENVIRONMENT_SECTION = "environment";

  @Mixin private RunOptions runOptions;

  private JobContext context = JobContext.system();
  private CommandLine commandLine;

  /** Runs the job with {@code args}; returns the exit code and never throws. */
  public final int execute(JobContext context, String... args) {
    return commandLine(context).execute(args);
  }

  /**
   * Runs the job with {@code args} against the environment {@code env} (in place of the process's),
   * {@code out}, {@code err} and the UTC clock; returns the exit code and never throws. For tests,
   * which run a job in-process: {@code CommandRun.of(new Main()::execute, env, args)}.
   */
  public final int execute(
      Map<String, String> env, PrintStream out, PrintStream err, String... args) {
    return execute(new JobContext(Environment.of(env), out, err, Clock.systemUTC()), args);
  }

  /** The configured command line, for tests and for printing help. */
  public final CommandLine commandLine(JobContext context) {
    this.context = context;
    CommandLine cl = new CommandLine(this, factory());
    refuseSecretOptions(cl);
    cl.setOut(new PrintWriter(context.out(), true));
    cl.setErr(new PrintWriter(context.err(), true));
    cl.setDefaultValueProvider(new EnvironmentDefaults(context.env()));
    cl.registerConverter(Duration.class, JobMain::duration);
    // unknown options and extra arguments become configuration problems, reported with the rest
    cl.setUnmatchedArgumentsAllowed(true);
    cl.setExecutionStrategy(this::run);
    cl.setParameterExceptionHandler(this::usageError);
    cl.setExecutionExceptionHandler((e, failed, parsed) -> failure(e, failed));
    addEnvironmentSections(cl);
    this.commandLine = cl;
    return cl;
  }

  /**
   * Creates the job's commands. A job's tests override it to hand in a command built with its test
   * seams (an injected fault) through the command's constructor.
   */
  protected CommandLine.IFactory factory() {
    return CommandLine.defaultFactory();
  }

  /** What the job runs against. */
  public final JobContext context() {
    return context;
  }

  /** The options shared by every command. */
  public final RunOptions runOptions() {
    return runOptions;
  }

  /** The job's name, such as {@code db-backup}. */
  public final String jobName() {
    if (commandLine != null) {
      return commandLine.getCommandName();
    }
    Command command = getClass().getAnnotation(Command.class);
    return command == null ? getClass().getSimpleName() : command.name();
  }

  private int run(ParseResult parsed) {
    Logging.configure(runOptions.logFormat(), runOptions.debug(), context.out(), context.err());
    MDC.put("job", parsed.commandSpec().name());
    try {
      Integer help = CommandLine.executeHelpRequest(parsed);
      if (help != null) {
        return help;
      }
      List<String> unknown =
          EnvironmentDefaults.unknownVariableProblems(context.env(), parsed.commandSpec());
      if (!unknown.isEmpty()) {
        return failure(new ConfigurationException(unknown), parsed.commandSpec().commandLine());
      }
      return new RunLast().execute(parsed);
    } finally {
      MDC.remove("job");
    }
  }

  private int usageError(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    PrintWriter err = cl.getErr();
    String message = e.getMessage();
    List<String> unmatched = cl.getUnmatchedArguments();
    if (!cl.getSubcommands().isEmpty() && message.startsWith("Missing required subcommand")) {
      String known = String.join(", ", cl.getSubcommands().keySet());
      message =
          unmatched.isEmpty()
              ? "a command is required (one of: " + known + ")"
              : "unknown command or option '" + unmatched.get(0) + "' (commands: " + known + ")";
    }
    err.println("error: " + Redaction.redact(message));
    err.println("Run '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
    return ExitCodes.USAGE;
  }

  private int failure(Exception e, CommandLine failed) {
    PrintWriter err = failed.getErr();
    int code;
    String line;
    if (e instanceof ConfigurationException) {
      code = ExitCodes.USAGE;
      line = "error: " + e.getMessage();
    } else if (e instanceof VerificationFailedException) {
      code = ExitCodes.VERIFICATION_FAILED;
      line = "error: verification failed: " + message(e);
    } else {
      code = ExitCodes.FAILED;
      line = "error: " + message(e);
    }
    line = Redaction.redact(line);
    if (runOptions.logFormat() == LogFormat.JSON) {
      if (runOptions.debug()) {
        LOG.error(line, e);
      } else {
        LOG.error(line);
      }
    }
    err.println(line);
    if (runOptions.debug()) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      err.print(Redaction.redact(trace.toString()));
    } else if (code == ExitCodes.FAILED && message(e).equals(e.getClass().getSimpleName())) {
      err.println("Run with --debug (BACKUP_DEBUG=true) for details.");
    }
    err.flush();
    return code;
  }

  /**
   * A duration in ISO-8601 ({@code PT10S}, {@code PT2M}, {@code P1D}), as every duration option
   * takes it; a bad one is told in words, not as a Java exception.
   */
  static Duration duration(String text) {
    try {
      return Duration.parse(text.strip().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new CommandLine.TypeConversionException(
          "'" + text + "' is not a duration (ISO-8601, like PT10S, PT5M, PT24H or P1D)");
    }
  }

  /** One line that says what failed: the message, or the type when there is none. */
  static String message(Throwable e) {
    Throwable t = e;
    while ((t instanceof UncheckedIOException
            || t instanceof ExecutionException
            || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  /** Flags show in the process list and shell history: a secret must never be one. */
  private static void refuseSecretOptions(CommandLine cl) {
    for (OptionSpec o : cl.getCommandSpec().options()) {
      if (Secret.class.isAssignableFrom(o.type())) {
        throw new IllegalStateException(
            cl.getCommandSpec().qualifiedName()
                + " "
                + o.longestName()
                + ": a secret cannot be a command-line option; read it with Secrets.fromEnvironment");
      }
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      refuseSecretOptions(sub);
    }
  }

  /** Adds to each command's help the variables that set its options. */
  private static void addEnvironmentSections(CommandLine cl) {
    List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
    if (!keys.contains(ENVIRONMENT_SECTION)) {
      int at = keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING);
      keys.add(at < 0 ? keys.size() : at, ENVIRONMENT_SECTION);
      cl.setHelpSectionKeys(keys);
    }
    cl.getHelpSectionMap().put(ENVIRONMENT_SECTION, JobMain::environmentSection);
    for (CommandLine sub : cl.getSubcommands().values()) {
      addEnvironmentSections(sub);
    }
  }

  private static String variables(OptionSpec option) {
    return String.join(" or ", EnvironmentDefaults.variables(option));
  }

  private static String environmentSection(Help help) {
    CommandSpec spec = help.commandSpec();
    StringBuilder b = new StringBuilder();
    int width = 0;
    List<OptionSpec> options = new ArrayList<>();
    for (OptionSpec o : spec.options()) {
      if (!o.usageHelp() && !o.versionHelp() && !o.hidden()) {
        options.add(o);
        width = Math.max(width, variables(o).length());
      }
    }
    if (options.isEmpty()) {
      return "";
    }
    b.append(String.format("%nEnvironment (a flag on the command line wins):%n"));
    for (OptionSpec o : options) {
      String variable = variables(o);
      b.append("  ")
          .append(variable)
          .append(" ".repeat(width - variable.length() + 2))
          .append(o.longestName())
          .append(String.format("%n"));
    }
    return b.toString();
  }
}
