package io.aido.backup.core.cli;

import io.aido.backup.core.config.Environment;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Objects;

/**
 * What a job runs against: its environment, its standard streams and its clock. Production uses
 * {@link #system()}; tests pass a fixed environment and captured streams.
 *
 * @param env where options and secrets come from
 * @param out the command's output (and JSON log lines)
 * @param err error messages (and text log lines)
 * @param clock the time
 */
public record JobContext(Environment env, PrintStream out, PrintStream err, Clock clock) {
  public JobContext {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Objects.requireNonNull(clock, "clock");
  }

  /** The process's environment, {@code System.out}, {@code System.err} and the UTC clock. */
  public static JobContext system() {
    return new JobContext(Environment.system(), System.out, System.err, Clock.systemUTC());
  }
}
