package io.aido.backup.core.storage.gcs;

import com.google.cloud.storage.Storage;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStoreContract;
import io.aido.backup.core.storage.ObjectInfo;
import java.io.IOException;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;

/**
 * The contract against a real GCS bucket, named by the environment variable {@code
 * GCS_TEST_BUCKET}, with application default credentials. Each test works under its own random
 * prefix and removes what it created. Skipped, saying why, when the variable is not set.
 */
class GcsBlobStoreRealBucketIT extends BlobStoreContract {
  private static final String BUCKET = System.getenv("GCS_TEST_BUCKET");

  @Override
  protected BlobStore newStore() {
    Assumptions.assumeTrue(
        BUCKET != null && !BUCKET.isBlank(),
        "GCS_TEST_BUCKET is not set, so there is no real bucket to run the GCS contract against");
    Storage storage = GcsStorages.production();
    return new GcsBlobStore(
        storage, BUCKET, "aido-backup-it/" + UUID.randomUUID(), GcsBlobStore.CHUNK_GRANULARITY);
  }

  @AfterEach
  void removeEverything() throws IOException {
    if (store == null) {
      return;
    }
    for (ObjectInfo info : store.list("")) {
      store.delete(info.key());
    }
  }
}
