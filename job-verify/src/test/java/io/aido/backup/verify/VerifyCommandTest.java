package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifyCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int execute(Map<String, String> env, String... args) {
    JobContext context =
        new JobContext(
            Environment.of(env),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    return new Main().execute(context, args);
  }

  @Test
  void verify_badSettings_exits2ListingEveryProblem() {
    int code =
        execute(
            Map.of("BACKUP_MAX_AGE", "db-logical=26 hours"),
            "verify",
            "--log-format",
            "text",
            "--kind",
            "db-logical",
            "--require-kind",
            "dapr",
            "--now",
            "yesterday");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "--storage-url (BACKUP_STORAGE_URL): not set",
            "--kek-uri (BACKUP_KEK_URI): not set",
            "--max-age (BACKUP_MAX_AGE): '26 hours' is not a duration",
            "--require-kind (BACKUP_REQUIRE_KIND): 'dapr' is outside --kind db-logical",
            "--now (BACKUP_NOW): 'yesterday' is not a time");
  }

  @Test
  void verify_unknownKind_exits2() {
    int code = execute(Map.of(), "verify", "--log-format", "text", "--kind", "wal");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown backup kind 'wal'");
  }

  @Test
  void maxAges_parse_overridesOneKindAndKeepsTheDefaults() {
    MaxAges ages = MaxAges.parse(java.util.List.of("dapr=2h", "db-base=PT200H"));

    assertThat(ages.of(io.aido.backup.core.catalog.BackupKind.DAPR)).isEqualTo(Duration.ofHours(2));
    assertThat(ages.of(io.aido.backup.core.catalog.BackupKind.DB_BASE))
        .isEqualTo(Duration.ofHours(200));
    assertThat(ages.of(io.aido.backup.core.catalog.BackupKind.DB_LOGICAL))
        .isEqualTo(MaxAges.DEFAULT);
    assertThat(MaxAges.format(Duration.ofMinutes(27 * 60 + 5))).isEqualTo("27h5m");
  }

  @Test
  void help_listsTheOptionsAndTheirVariables() {
    int code = execute(Map.of(), "verify", "--help");

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "--all",
            "--max-age",
            "BACKUP_MAX_AGE",
            "--require-kind",
            "--no-freshness",
            "--restore-test",
            "BACKUP_RESTORE_TEST",
            "PGHOST",
            "newest complete backup of each source database");
  }

  @Test
  void verify_restoreTestOfAnotherKindOrBadPort_exits2() {
    int code =
        execute(
            Map.of("PGPORT", "70000"),
            "verify",
            "--log-format",
            "text",
            "--storage-url",
            "memory://restore-test-usage",
            "--kek-uri",
            "/nonexistent/kek.json",
            "--restore-test",
            "--kind",
            "dapr");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "PGPORT: '70000' is not a port",
            "--restore-test (BACKUP_RESTORE_TEST): only db-logical backups can be test-restored");
  }
}
