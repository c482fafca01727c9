package io.aido.backup.core.storage.gcs;

import com.google.cloud.storage.StorageException;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectChangedException;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;

/** What a failed write to one bucket means, as the exceptions of {@code core.storage}. */
final class GcsFailures {
  private final String description;

  GcsFailures(String description) {
    this.description = description;
  }

  /** A failed create: HTTP 412 (the precondition {@code ifGenerationMatch=0}) means it exists. */
  IOException create(ObjectKey key, Exception e) {
    StorageException se = storageException(e);
    if (se != null && se.getCode() == 412) {
      return new ObjectExistsException(key, description);
    }
    return new IOException(
        StorageMessages.failed("create", key, description, StorageMessages.cause(e)), e);
  }

  /**
   * The client reports HTTP failures as a StorageException, sometimes wrapped in an IOException.
   */
  private static StorageException storageException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StorageException se) {
        return se;
      }
    }
    return null;
  }

  /**
   * A failed replace: HTTP 412 means the object changed since it was read, 403 that the bucket
   * refuses (a retention policy or a hold).
   */
  IOException replace(ObjectKey key, Exception e) {
    StorageException se = storageException(e);
    if (se != null && se.getCode() == 412) {
      return new ObjectChangedException(key, description);
    }
    if (se != null && se.getCode() == 403) {
      return new DeletionRefusedException(key, description, StorageMessages.cause(e));
    }
    return new IOException(
        StorageMessages.failed("replace", key, description, StorageMessages.cause(e)), e);
  }
}
