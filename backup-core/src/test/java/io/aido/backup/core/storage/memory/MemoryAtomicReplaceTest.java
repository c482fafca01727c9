package io.aido.backup.core.storage.memory;

import io.aido.backup.core.storage.AtomicReplaceContract;
import io.aido.backup.core.storage.BlobStore;

class MemoryAtomicReplaceTest extends AtomicReplaceContract {
  @Override
  protected BlobStore newStore() {
    return new MemoryBlobStore();
  }
}
