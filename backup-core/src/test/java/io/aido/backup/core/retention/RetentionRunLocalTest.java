package io.aido.backup.core.retention;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.local.LocalBlobStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The retention runs on a {@code file://} repository. */
class RetentionRunLocalTest extends RetentionRunStoreContract {
  @TempDir Path root;

  @Override
  protected BlobStore newStore() {
    return new LocalBlobStore(root);
  }
}
