package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.internal.TinkRegistration;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/** {@link BackupRun}: the log context, the commit with its metrics, and the failure wording. */
class BackupRunTest {
  private static final Source SOURCE = new Source("prod", null, "todo", "15.4", Map.of());

  @TempDir Path dir;
  private final MemoryBlobStore store = new MemoryBlobStore();
  private final RunMetrics metrics =
      new RunMetrics("db-backup", "backup", Optional.empty(), Clock.systemUTC());
  private Repository repo;
  private KeyEncryptionKey kek;

  @BeforeEach
  void repository() throws Exception {
    TinkRegistration.register();
    kek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("kek.json"));
    repo = Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
  }

  private BackupRun begin(String noun, String qualifier) throws Exception {
    return new BackupRun(
        repo.begin(BackupKind.DB_LOGICAL, SOURCE, kek),
        BackupKind.DB_LOGICAL,
        noun,
        qualifier,
        metrics);
  }

  @Test
  void begin_untilClose_logContextCarriesIdAndKind() throws Exception {
    String id;
    try (BackupRun run = begin("backup", "of database 'todo'")) {
      id = run.id().value();
      assertThat(MDC.get("backup_id")).isEqualTo(id);
      assertThat(MDC.get("kind")).isEqualTo("db-logical");
    }
    assertThat(MDC.get("backup_id")).isNull();
    assertThat(MDC.get("kind")).isNull();
  }

  @Test
  void writePart_pipelineThreadsLogInTheBackupsContext() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (BackupRun run = begin("backup", "")) {
      InputStream source =
          new FilterInputStream(new ByteArrayInputStream(new byte[1000])) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              seen.add(Thread.currentThread().getName() + " " + MDC.get("backup_id"));
              return super.read(b, off, len);
            }
          };
      run.writePart("todo.dump", source);
      assertThat(seen)
          .isNotEmpty()
          .allSatisfy(s -> assertThat(s).startsWith("pipeline-").endsWith(" " + run.id()));
    }
  }

  @Test
  void commit_recordVisibleAndCountedInMetrics() throws Exception {
    BackupRecord record;
    try (BackupRun run = begin("backup", "")) {
      run.writePart("todo.dump", new ByteArrayInputStream(new byte[1000]));
      record = run.commit(Map.of("database", "todo"));
    }
    assertThat(new Catalog(store).find(record.id())).contains(record);
    MetricSnapshot stored =
        metrics.registry().scrape().stream()
            .filter(m -> m.getMetadata().getName().equals("backup_stored_bytes"))
            .findFirst()
            .orElseThrow();
    assertThat(stored.getDataPoints()).hasSize(1);
  }

  @Test
  void commit_partGoneFromTheStore_failsNamingTheBackupAndWhatIsSafe() throws Exception {
    try (BackupRun run = begin("base backup", "")) {
      run.writePart("base.tar", new ByteArrayInputStream(new byte[1000]));
      for (ObjectInfo part : store.list("data/")) {
        store.delete(part.key());
      }
      assertThatThrownBy(() -> run.commit(Map.of()))
          .isInstanceOf(JobException.class)
          .hasMessageStartingWith("base backup " + run.id() + ": ")
          .hasMessageContaining("part 'base.tar'")
          .hasMessageContaining("is missing")
          // the store's message says what is safe already: said once
          .hasMessageEndingWith("; no record was written, the backup stays invisible");
    }
    assertThat(new Catalog(store).list(null)).isEmpty();
    assertThat(metrics.registry().scrape().stream())
        .noneMatch(m -> m.getMetadata().getName().equals("backup_stored_bytes"));
  }

  @Test
  void failures_nameTheBackupThePartAndWhatIsSafe() throws Exception {
    try (BackupRun run = begin("backup", "of database 'todo'")) {
      String subject = "backup " + run.id() + " of database 'todo'";
      assertThat(run.subject()).isEqualTo(subject);
      assertThat(run.partFailed("todo.dump", new IOException("disk full")))
          .hasMessage(
              subject
                  + " part todo.dump: disk full; no record was written, earlier backups are"
                  + " untouched")
          .satisfies(e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.FAILED));
      assertThat(run.failed(new IllegalStateException()))
          .hasMessage(
              subject
                  + ": IllegalStateException; no record was written, earlier backups are"
                  + " untouched");
      assertThat(run.failed("the tar held no backup_label; no record was written", null))
          .hasMessage(subject + ": the tar held no backup_label; no record was written");
    }
  }
}
