package io.aido.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApplyCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int execute(Map<String, String> env, String... args) {
    JobContext context =
        new JobContext(
            Environment.of(env),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.fixed(Instant.parse("2026-11-24T03:00:00Z"), ZoneOffset.UTC));
    return new Main().execute(context, args);
  }

  @Test
  void apply_badSettings_exits2ListingEveryProblemAndDoesNothing() {
    int code =
        execute(
            Map.of("BACKUP_KEEP_DAILY", "thirty", "BACKUP_KEEP_MONTHLY", "-1"),
            "apply",
            "--log-format",
            "text",
            "--time-zone",
            "Mars/Olympus",
            "--leftover-grace",
            "24h",
            "--now",
            "yesterday");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "configuration has 6 problems",
            "--storage-url (BACKUP_STORAGE_URL): not set",
            "--keep-daily (BACKUP_KEEP_DAILY): 'thirty' is not a count (expected 0 or more)",
            "--keep-monthly (BACKUP_KEEP_MONTHLY): '-1' is not a count (expected 0 or more)",
            "--time-zone (BACKUP_TIME_ZONE): 'Mars/Olympus' is not a time zone",
            "--leftover-grace (BACKUP_LEFTOVER_GRACE): '24h' is not a duration",
            "--now (BACKUP_NOW): 'yesterday' is not a time");
  }

  @Test
  void apply_goodSettings_getsPastValidation() {
    int code =
        execute(
            Map.of("BACKUP_KEEP_DAILY", "7", "BACKUP_TIME_ZONE", "Europe/Berlin"),
            "apply",
            "--log-format",
            "text",
            "--storage-url",
            "file:///nonexistent/backups",
            "--dry-run",
            "--now",
            "2027-01-01T00:00:00Z");

    assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain("configuration has");
    assertThat(code).isNotEqualTo(2);
  }

  @Test
  void help_listsTheOptionsAndTheirVariables() {
    int code = execute(Map.of(), "apply", "--help");

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "--keep-daily",
            "default 30",
            "--keep-monthly",
            "default 12",
            "--dry-run",
            "--now",
            "BACKUP_KEEP_DAILY",
            "BACKUP_LEFTOVER_GRACE");
  }
}
