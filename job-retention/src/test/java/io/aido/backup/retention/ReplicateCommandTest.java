package io.aido.backup.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code retention replicate} as a user runs it: configuration, exit codes and output. */
class ReplicateCommandTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int execute(Map<String, String> env, String... args) {
    out.reset();
    err.reset();
    JobContext context =
        new JobContext(
            Environment.of(env),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    return new Main().execute(context, args);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void replicate_noSecondary_exits2NamingTheOption() {
    int code =
        execute(
            Map.of("BACKUP_STORAGE_URL", dir.toUri().toString()),
            "replicate",
            "--log-format",
            "text");

    assertThat(code).isEqualTo(2);
    assertThat(err()).contains("--secondary-url (BACKUP_SECONDARY_URL): not set");
  }

  @Test
  void replicate_badSecondaryUrl_exits2NamingTheOption() {
    int code =
        execute(
            Map.of(
                "BACKUP_STORAGE_URL",
                dir.toUri().toString(),
                "BACKUP_SECONDARY_URL",
                "s3://elsewhere/x"),
            "replicate",
            "--log-format",
            "text");

    assertThat(code).isEqualTo(2);
    assertThat(err()).contains("--secondary-url (BACKUP_SECONDARY_URL):");
  }

  @Test
  void replicate_secondaryInsidePrimary_exits2() {
    int code =
        execute(
            Map.of(),
            "replicate",
            "--log-format",
            "text",
            "--storage-url",
            "gs://backups/prod",
            "--secondary-url",
            "gs://backups/prod/copy");

    assertThat(code).isEqualTo(2);
    assertThat(err()).contains("--secondary-url (BACKUP_SECONDARY_URL):", "overlaps");
  }

  @Test
  void replicate_noRepositoryAtPrimary_exits2AndCreatesNothing() throws Exception {
    Path secondary = dir.resolve("secondary");
    int code =
        execute(
            Map.of(
                "BACKUP_STORAGE_URL",
                dir.resolve("empty").toUri().toString(),
                "BACKUP_SECONDARY_URL",
                secondary.toUri().toString()),
            "replicate",
            "--log-format",
            "text");

    assertThat(code).isEqualTo(2);
    assertThat(err()).contains("--storage-url (BACKUP_STORAGE_URL):", "no repository");
    assertThat(Files.exists(secondary.resolve("format.json"))).isFalse();
  }

  @Test
  void replicate_fromEnvironment_copiesAndSecondRunCopiesNothing() throws Exception {
    ReplicaFixture fixture = new ReplicaFixture(dir);
    LocalBlobStore primary = new LocalBlobStore(dir.resolve("primary"));
    BackupRecord a = fixture.backup(primary, 10_000);
    Map<String, String> env =
        Map.of(
            "BACKUP_STORAGE_URL",
            dir.resolve("primary").toUri().toString(),
            "BACKUP_SECONDARY_URL",
            dir.resolve("secondary").toUri().toString(),
            "BACKUP_LOG_FORMAT",
            "text");

    assertThat(execute(env, "replicate")).as(err()).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("copied backup db-logical " + a.id(), "copied 1 backups and 0 WAL objects");
    assertThat(new Catalog(new LocalBlobStore(dir.resolve("secondary"))).list(null))
        .containsExactly(a);

    assertThat(execute(env, "replicate")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("copied 0 backups and 0 WAL objects (0 objects, 0 bytes)");
  }

  @Test
  void replicate_damagedBackup_exits1NamingIt() throws Exception {
    ReplicaFixture fixture = new ReplicaFixture(dir);
    LocalBlobStore primary = new LocalBlobStore(dir.resolve("primary"));
    BackupRecord a = fixture.backup(primary, 10_000);
    Files.delete(dir.resolve("primary").resolve(a.parts().get(0).object()));

    int code =
        execute(
            Map.of(),
            "replicate",
            "--log-format",
            "text",
            "--storage-url",
            dir.resolve("primary").toUri().toString(),
            "--secondary-url",
            dir.resolve("secondary").toUri().toString());

    assertThat(code).isEqualTo(1);
    assertThat(err()).contains("db-logical " + a.id() + " not copied, no record written");
  }

  @Test
  void help_listsTheSecondaryVariable() {
    int code = execute(Map.of(), "replicate", "--help");

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--secondary-url");
  }
}
