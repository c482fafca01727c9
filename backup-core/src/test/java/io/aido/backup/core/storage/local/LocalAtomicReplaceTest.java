package io.aido.backup.core.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.storage.AtomicReplaceContract;
import io.aido.backup.core.storage.BlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalAtomicReplaceTest extends AtomicReplaceContract {
  @TempDir Path dir;

  @Override
  protected BlobStore newStore() {
    return new LocalBlobStore(dir.resolve("repo"));
  }

  @Test
  void replace_leavesNoTemporaryFileAndKeepsOwnerOnlyMode() throws Exception {
    var key = io.aido.backup.core.storage.ObjectKey.of("catalog/dapr/x.json");
    var before = store.create(key, new java.io.ByteArrayInputStream(new byte[] {1}));

    ((LocalBlobStore) store).replace(key, before, new java.io.ByteArrayInputStream(new byte[] {2}));

    try (var incoming = Files.list(dir.resolve("repo").resolve(LocalBlobStore.INCOMING))) {
      assertThat(incoming).isEmpty();
    }
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("repo/catalog/dapr/x.json"))))
        .isEqualTo("rw-------");
  }
}
