package io.aido.backup.postgres.wal;

import io.aido.backup.core.storage.ObjectKey;
import java.io.IOException;

/**
 * An archived WAL object exists under the name about to be stored, with other content: another
 * cluster, or a cluster restored from a copy, archives into the same repository. Nothing was
 * overwritten.
 */
public final class WalConflictException extends IOException {
  private static final long serialVersionUID = 1L;

  public WalConflictException(ObjectKey key, String store, String why) {
    super(
        "refusing to archive WAL object '"
            + key
            + "' in "
            + store
            + ": it is already archived with other content ("
            + why
            + "); the archived object is untouched. Is another cluster archiving into this"
            + " repository?");
  }
}
