package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import io.aido.backup.testing.CommandRun;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogCommandListingTest {
  private static final BackupId DUMP = new BackupId("20261124T020000Z-a1b2c3");
  private static final BackupId DAPR = new BackupId("20261124T030000Z-d4e5f6");

  private String url;
  private Map<String, String> env;

  private static BackupRecord record(BackupId id, BackupKind kind, String database) {
    Instant start = id.time();
    return new BackupRecord(
        BackupRecord.FORMAT,
        id,
        kind,
        new Source("prod", "todo", database, "15.8", Map.of()),
        "dev",
        start,
        start.plusSeconds(75),
        BackupRecord.COMPLETE,
        List.of(
            new PartRecord(
                "part-0",
                Layout.part(kind, id, "part-0").name(),
                1536,
                4096,
                "ab".repeat(32),
                "zstd")),
        new WrappedDataKey("tink-keyset:1185434645", "AES256_GCM_HKDF_1MB", "d3JhcHBlZA=="),
        Map.of("rows", 3));
  }

  @BeforeEach
  void repository() throws Exception {
    url = "memory://catalog-" + System.nanoTime();
    env = Map.of("BACKUP_STORAGE_URL", url, "BACKUP_LOG_FORMAT", "text");
    BlobStore store = BlobStores.open(url);
    Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    for (BackupRecord r :
        List.of(record(DUMP, BackupKind.DB_LOGICAL, "todo"), record(DAPR, BackupKind.DAPR, null))) {
      store.create(Layout.record(r.kind(), r.id()), new ByteArrayInputStream(RecordJson.write(r)));
    }
  }

  @Test
  void list_allKinds_printsATableOldestFirst() {
    CommandRun run = CommandRun.of(new TestJob()::execute, env, "catalog", "list");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("ID").contains("KIND", "STARTED", "STORED", "SOURCE");
    assertThat(lines.get(1))
        .startsWith(DUMP.value())
        .contains("db-logical", "2026-11-24T02:00:00Z", "1m15s", "1.5 KiB", "prod/todo/todo");
    assertThat(lines.get(2)).startsWith(DAPR.value()).contains("dapr");
  }

  @Test
  void list_showsEachBackupsNewestVerification() throws Exception {
    BlobStore store = BlobStores.open(url);
    Instant earlier = Instant.parse("2026-11-24T05:30:00Z");
    VerificationResults.write(
        store,
        new VerificationResult(
            DUMP,
            BackupKind.DB_LOGICAL,
            earlier,
            VerificationResult.INTEGRITY,
            true,
            1536,
            5,
            null));
    VerificationResults.write(
        store,
        new VerificationResult(
            DUMP,
            BackupKind.DB_LOGICAL,
            earlier.plusSeconds(86400),
            VerificationResult.INTEGRITY,
            false,
            1536,
            5,
            List.of("part part-0: authentication failed")));

    CommandRun run = CommandRun.of(new TestJob()::execute, env, "catalog", "list");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0)).contains("VERIFIED");
    assertThat(lines.get(1)).startsWith(DUMP.value()).contains("FAILED 2026-11-25T05:30:00Z");
    assertThat(lines.get(2)).startsWith(DAPR.value()).contains("never");
  }

  @Test
  void list_oneKindAsJson_printsTheStoredRecords() throws Exception {
    CommandRun run =
        CommandRun.of(new TestJob()::execute, env, "catalog", "list", "--kind", "dapr", "--json");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    JsonNode array = new ObjectMapper().readTree(run.out());
    assertThat(array.isArray()).isTrue();
    assertThat(array).hasSize(1);
    assertThat(array.get(0).get("id").asText()).isEqualTo(DAPR.value());
    assertThat(array.get(0).get("kind").asText()).isEqualTo("dapr");
  }

  @Test
  void list_emptyFileRepository_printsTheHeaderAndSaysItHoldsNoBackups(@TempDir Path dir)
      throws Exception {
    String empty = fileRepository(dir.resolve("repo"));

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of("BACKUP_STORAGE_URL", empty), "catalog", "list");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(run.out().lines().toList())
        .satisfiesExactly(
            header -> assertThat(header).startsWith("ID").contains("KIND", "SOURCE"),
            none -> assertThat(none).isEqualTo("repository '" + empty + "' holds no backups"));
  }

  @Test
  void list_fileRepositoryWithoutThatKind_saysItHoldsNoneOfIt(@TempDir Path dir) throws Exception {
    String repo = fileRepository(dir.resolve("repo"));
    BlobStore store = BlobStores.open(repo);
    BackupRecord dump = record(DUMP, BackupKind.DB_LOGICAL, "todo");
    store.create(
        Layout.record(dump.kind(), dump.id()), new ByteArrayInputStream(RecordJson.write(dump)));

    CommandRun all =
        CommandRun.of(
            new TestJob()::execute, Map.of("BACKUP_STORAGE_URL", repo), "catalog", "list");
    CommandRun dapr =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", repo),
            "catalog",
            "list",
            "--kind",
            "dapr");

    assertThat(all.code()).isEqualTo(ExitCodes.DONE);
    assertThat(all.out().lines()).hasSize(2).last().asString().startsWith(DUMP.value());
    assertThat(dapr.code()).isEqualTo(ExitCodes.DONE);
    assertThat(dapr.out().lines().toList())
        .endsWith("repository '" + repo + "' holds no dapr backups")
        .hasSize(2);
  }

  @Test
  void list_emptyFileRepositoryAsJson_printsAnEmptyArrayOnly(@TempDir Path dir) throws Exception {
    String empty = fileRepository(dir.resolve("repo"));

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", empty, "BACKUP_LOG_FORMAT", "text"),
            "catalog",
            "list",
            "--json");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(new ObjectMapper().readTree(run.out()).isArray()).isTrue();
    assertThat(new ObjectMapper().readTree(run.out())).isEmpty();
  }

  @Test
  void list_emptyDirectory_exitsTwoSayingThereIsNoRepositoryAndCreatesNothing(@TempDir Path dir)
      throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    String emptyUrl = "file://" + empty;

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", emptyUrl, "BACKUP_LOG_FORMAT", "text"),
            "catalog",
            "list");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .contains("--storage-url (BACKUP_STORAGE_URL): no repository at 'file://" + empty + "'")
        .doesNotContain("holds no backups");
    try (var files = Files.list(empty)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void list_missingDirectoryAsJson_exitsTwoPrintingNothingAndCreatesNothing(@TempDir Path dir) {
    Path missing = dir.resolve("no-such-repository");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", "file://" + missing, "BACKUP_LOG_FORMAT", "text"),
            "catalog",
            "list",
            "--json");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("no repository at 'file://" + missing + "'");
    assertThat(missing).doesNotExist();
  }

  @Test
  void list_emptyMemoryStore_exitsTwoSayingThereIsNoRepository() {
    String nothing = "memory://nothing-" + System.nanoTime();

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of("BACKUP_STORAGE_URL", nothing), "catalog", "list");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("no repository at '" + nothing + "'");
  }

  @Test
  void show_missingDirectory_exitsTwoSayingThereIsNoRepository(@TempDir Path dir) {
    Path missing = dir.resolve("no-such-repository");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", "file://" + missing),
            "catalog",
            "show",
            "latest");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("no repository at 'file://" + missing + "'");
    assertThat(missing).doesNotExist();
  }

  /** A new, empty repository in {@code dir}, as a backup's first step makes it; its URL. */
  private static String fileRepository(Path dir) throws Exception {
    String url = "file://" + dir;
    Repository.open(
        BlobStores.open(url), new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    return url;
  }

  @Test
  void show_id_printsTheRecordExactlyAsStored() throws Exception {
    CommandRun run = CommandRun.of(new TestJob()::execute, env, "catalog", "show", DUMP.value());

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    JsonNode shown = new ObjectMapper().readTree(run.out());
    JsonNode stored =
        new ObjectMapper().readTree(RecordJson.write(record(DUMP, BackupKind.DB_LOGICAL, "todo")));
    assertThat(shown).isEqualTo(stored);
  }

  @Test
  void show_latestOfKind_printsTheNewest() throws Exception {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, env, "catalog", "show", "latest", "--kind", "db-logical");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(new ObjectMapper().readTree(run.out()).get("id").asText()).isEqualTo(DUMP.value());
  }

  @Test
  void show_missingBackup_exitsOneNamingIt() {
    CommandRun run =
        CommandRun.of(new TestJob()::execute, env, "catalog", "show", "20261124T040000Z-000000");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err()).contains("error: no backup 20261124T040000Z-000000 in " + url);
    assertThat(run.out()).isEmpty();
  }
}
