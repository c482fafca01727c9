package io.aido.backup.core.storage.gcs;

import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.aido.backup.core.storage.AtomicReplaceContract;
import io.aido.backup.core.storage.BlobStore;

/**
 * {@link GcsBlobStore#replace} on google-cloud-nio's {@link LocalStorageHelper}, an in-memory test
 * double of the GCS client: no real GCS can run on this machine.
 */
class GcsAtomicReplaceLocalHelperTest extends AtomicReplaceContract {
  @Override
  protected BlobStore newStore() {
    return new GcsBlobStore(
        LocalStorageHelper.customOptions(false).getService(),
        "test-bucket",
        "repo",
        GcsBlobStore.CHUNK_GRANULARITY);
  }
}
