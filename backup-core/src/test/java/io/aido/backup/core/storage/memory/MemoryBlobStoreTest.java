package io.aido.backup.core.storage.memory;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStoreContract;
import java.time.Clock;

class MemoryBlobStoreTest extends BlobStoreContract {
  @Override
  protected BlobStore newStore() {
    return new MemoryBlobStore(Clock.systemUTC(), "memory://contract");
  }
}
