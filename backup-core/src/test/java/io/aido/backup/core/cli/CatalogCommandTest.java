package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogCommandTest {

  @Test
  void list_withoutStorageUrl_exitsTwoWithoutAskingForAKey() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "catalog", "list");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("configuration has 1 problem:")
        .contains("--storage-url (BACKUP_STORAGE_URL): not set")
        .doesNotContain("--kek-uri");
  }

  @Test
  void list_keysetFileThatIsNoKeyset_refusedByItsShapeWithoutQuotingIt(@TempDir Path dir)
      throws Exception {
    Path notAKeyset =
        Files.writeString(dir.resolve("kek.json"), "{\"primaryKeyId\": 1, \"key\": \"s3cr3t\"}");
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of(
                "BACKUP_STORAGE_URL",
                "memory://catalog-unopened-key",
                "BACKUP_KEK_URI",
                notAKeyset.toString()),
            "catalog",
            "list");

    // never opened (listing needs no key), but a file that is no keyset is still a bad setting
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("keyset file '" + notAKeyset + "' is not a usable Tink JSON keyset")
        .doesNotContain("s3cr3t");
  }

  @Test
  void list_missingKeysetFile_stillRefusedNamingIt(@TempDir Path dir) {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of(
                "BACKUP_STORAGE_URL",
                "memory://catalog-missing-key",
                "BACKUP_KEK_URI",
                dir.resolve("gone.json").toString()),
            "catalog",
            "list");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("keyset file '" + dir.resolve("gone.json") + "' does not exist");
  }

  @Test
  void list_unknownKind_exitsTwoListingTheKinds() {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", "memory://catalog-kind"),
            "catalog",
            "list",
            "--kind",
            "postgres");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains(
            "--kind (BACKUP_KIND): unknown backup kind 'postgres' (known: db-logical, db-base,"
                + " dapr, manifests)");
  }

  @Test
  void show_malformedIdAndExtraArgument_bothReported() {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", "memory://catalog-show"),
            "catalog",
            "show",
            "yesterday",
            "extra");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("configuration has 2 problems:")
        .contains("unexpected argument 'extra'")
        .contains("ID|latest: 'yesterday' is neither a backup id");
  }

  @Test
  void show_withoutId_exitsTwo() {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", "memory://catalog-show"),
            "catalog",
            "show");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("ID|latest: not given");
  }
}
