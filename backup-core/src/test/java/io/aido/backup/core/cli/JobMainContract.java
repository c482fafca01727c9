package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.testing.CommandRun;
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
    CommandRun run = CommandRun.of(newMain()::execute, Map.of(), args);
    assertThat(run.code()).as("exit code of %s", String.join(" ", args)).isEqualTo(expectedCode);
    return new String[] {run.out(), run.err()};
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
