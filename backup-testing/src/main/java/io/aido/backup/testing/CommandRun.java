package io.aido.backup.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * One in-process run of a job's command line with its output captured: the exit code, everything
 * written to stdout and everything written to stderr, as UTF-8 text.
 *
 * <p>The job is anything that runs a command line against an environment and two streams; a job's
 * {@code Main} (a {@code JobMain}) is one through {@code JobMain.execute(env, out, err, args)}:
 *
 * <pre>{@code
 * CommandRun run = CommandRun.of(new Main()::execute, env, "backup", "--database", "todo");
 * assertThat(run.code()).as(run.err()).isZero();
 * assertThat(run.errorLine()).isEmpty();
 * }</pre>
 *
 * <p>Guarantees: the streams are closed (so flushed) before the output is read; the job's own
 * exceptions are not caught, so a job that throws fails the test with its stack trace.
 *
 * @param code the exit code
 * @param out what the job wrote to stdout (its output, and JSON log lines)
 * @param err what the job wrote to stderr ("error: ..." lines, text log lines)
 */
public record CommandRun(int code, String out, String err) {
  public CommandRun {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
  }

  /** A job's command line, run against an environment and two streams. */
  @FunctionalInterface
  public interface Job {
    /** Runs {@code args}; returns the exit code. */
    int execute(Map<String, String> env, PrintStream out, PrintStream err, String... args);
  }

  /** Runs {@code job} with {@code env} and {@code args}, capturing its output. */
  public static CommandRun of(Job job, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.execute(env, o, e, args);
    }
    return new CommandRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** stdout followed by stderr. */
  public String all() {
    return out + err;
  }

  /** The first line of stderr that starts with {@code error:}, or the empty string. */
  public String errorLine() {
    return err.lines().filter(l -> l.startsWith("error:")).findFirst().orElse("");
  }
}
