package io.aido.backup.core.retention;

import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.gcs.GcsBlobStore;

/**
 * The retention runs on GCS through google-cloud-nio's {@code LocalStorageHelper}, an in-process
 * fake of the GCS client: no real bucket can be reached from the tests (the storage contract suite
 * runs against a real bucket when one is configured).
 */
class RetentionRunGcsTest extends RetentionRunStoreContract {
  @Override
  protected BlobStore newStore() {
    return new GcsBlobStore(
        LocalStorageHelper.customOptions(false).getService(), "backups", "prod");
  }
}
