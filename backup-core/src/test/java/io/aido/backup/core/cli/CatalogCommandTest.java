package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.testing.CommandRun;
import java.util.Map;
import org.junit.jupiter.api.Test;

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

  @Test
  void duration_readable() {
    assertThat(CatalogCommand.duration(java.time.Duration.ofSeconds(75))).isEqualTo("1m15s");
    assertThat(CatalogCommand.duration(java.time.Duration.ofMinutes(135))).isEqualTo("2h15m");
  }
}
