package io.aido.backup.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A failure in the compressor or the encryption, injected through the pipeline's stage factory,
 * leaves a backup without record and without visible part. (Source and store failures are tested
 * through the public API in RepositoryTest.)
 */
class RepositoryFaultsTest {
  private static final PipelineSettings SETTINGS = new PipelineSettings(3, 2, 64 * 1024, 2);
  private static KeyEncryptionKey kek;

  @BeforeAll
  static void key(@TempDir Path dir) throws Exception {
    kek = KeyEncryptionKeys.generateKeysetFile(dir.resolve("kek.json"));
  }

  @ParameterizedTest
  @EnumSource(
      value = Stage.class,
      names = {"COMPRESS", "ENCRYPT"})
  void writePart_stageFails_noRecordNoObject(Stage stage) throws Exception {
    MemoryBlobStore store = new MemoryBlobStore();
    Repository repo =
        Repository.open(
            store, FaultyTransforms.pipeline(SETTINGS, stage, 500_000), Clock.systemUTC());

    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, Source.database("todo", "15"), kek)) {
      assertThatThrownBy(
              () ->
                  w.writePart("todo.dump", new ByteArrayInputStream(TestData.bytes(3_000_000, 1))))
          .isInstanceOf(PipelineException.class)
          .hasMessageContaining(stage + " stage failed")
          .hasMessageContaining("todo.dump");
      assertThatThrownBy(() -> w.commit(Map.of())).isInstanceOf(IllegalStateException.class);
    }
    assertThat(store.list("catalog/")).isEmpty();
    assertThat(store.list("data/")).isEmpty();
    assertThat(repo.catalog().list(null)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(
      value = Stage.class,
      names = {"COMPRESS", "ENCRYPT"})
  void openPart_stageFails_noRecordNoObject(Stage stage) throws Exception {
    MemoryBlobStore store = new MemoryBlobStore();
    Repository repo =
        Repository.open(
            store, FaultyTransforms.pipeline(SETTINGS, stage, 200_000), Clock.systemUTC());

    try (BackupWriter w = repo.begin(BackupKind.MANIFESTS, Source.database("todo", "15"), kek)) {
      OutputStream out = w.openPart("archive.tar");
      assertThatThrownBy(
              () -> {
                for (int i = 0; i < 30; i++) {
                  out.write(TestData.bytes(100_000, i));
                }
                out.close();
              })
          .isInstanceOf(PipelineException.class)
          .hasMessageContaining(stage + " stage failed");
      assertThatThrownBy(() -> w.commit(Map.of())).isInstanceOf(IllegalStateException.class);
    }
    assertThat(store.list("catalog/")).isEmpty();
    assertThat(store.list("data/")).isEmpty();
  }
}
