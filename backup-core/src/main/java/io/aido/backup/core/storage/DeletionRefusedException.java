package io.aido.backup.core.storage;

import java.io.IOException;

/**
 * The store refused a deletion for a reason that retrying will not change: a bucket retention
 * policy, a temporary or event-based hold, a permission. Callers report it and move on.
 */
public class DeletionRefusedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ObjectKey key;

  public DeletionRefusedException(ObjectKey key, String store, String reason) {
    super(StorageMessages.failed("delete", key, store, reason));
    this.key = key;
  }

  public ObjectKey key() {
    return key;
  }
}
