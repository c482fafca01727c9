package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.config.Environment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every job's command line must do, whatever the job: explain itself, offer the shared
 * commands, and refuse what it does not know with exit code 2. Each job's {@code MainTest} extends
 * this class (it ships in backup-core's test-jar).
 */
public abstract class JobMainContract {

  /** A fresh instance of the job's {@code Main}. */
  protected abstract JobMain newMain();

  /** The name the job's usage line starts with, such as {@code db-backup}. */
  protected abstract String jobName();

  private String[] run(int expectedCode, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code =
          newMain()
              .execute(new JobContext(Environment.of(Map.of()), o, e, Clock.systemUTC()), args);
    }
    assertThat(code).as("exit code of %s", String.join(" ", args)).isEqualTo(expectedCode);
    return new String[] {
      out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)
    };
  }

  @Test
  void help_namesTheJobAndItsCommands() {
    String[] help = run(0, "--help");

    assertThat(help[0])
        .startsWith("Usage: " + jobName() + " ")
        .contains("catalog", "keyset")
        .contains("Exit codes:");
  }

  @Test
  void help_ofSharedCommands_works() {
    assertThat(run(0, "catalog", "list", "--help")[0])
        .contains("Usage: " + jobName() + " catalog list");
    assertThat(run(0, "catalog", "show", "--help")[0])
        .contains("Usage: " + jobName() + " catalog show");
    assertThat(run(0, "keyset", "generate", "--help")[0])
        .contains("Usage: " + jobName() + " keyset generate");
  }

  @Test
  void unknownCommand_exitsTwo() {
    assertThat(run(2, "no-such-command")[1]).startsWith("error: unknown command or option");
  }
}
