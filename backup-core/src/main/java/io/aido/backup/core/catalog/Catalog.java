package io.aido.backup.core.catalog;

import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The backup records of one repository.
 *
 * <p>TODO(pipeline helper): implement with {@link RecordJson}.
 *
 * <p>Guarantees: a backup exists for the catalog exactly when its record exists; payload without a
 * record is never listed. {@link #commit} writes create-only and only after checking that every
 * part the record names exists with the stored size.
 */
public final class Catalog {
  private final BlobReader reader;

  public Catalog(BlobReader reader) {
    this.reader = reader;
  }

  /**
   * Makes a backup visible by writing its record, last.
   *
   * @throws IOException if a part is missing or has another size (nothing is written), or storing
   *     the record fails
   */
  public void commit(BlobStore store, BackupRecord record) throws IOException {
    throw new UnsupportedOperationException("catalog not implemented yet");
  }

  /** Every complete backup, of one kind or (null) all kinds, oldest first. */
  public List<BackupRecord> list(BackupKind kind) throws IOException {
    throw new UnsupportedOperationException("catalog not implemented yet");
  }

  /** The backup with this id, of any kind. */
  public Optional<BackupRecord> find(BackupId id) throws IOException {
    throw new UnsupportedOperationException("catalog not implemented yet");
  }

  /** The newest complete backup of a kind. */
  public Optional<BackupRecord> latest(BackupKind kind) throws IOException {
    throw new UnsupportedOperationException("catalog not implemented yet");
  }

  /**
   * Resolves {@code latest} or an id, as users type them.
   *
   * @throws IOException naming what was asked for when there is no such backup
   */
  public BackupRecord resolve(String idOrLatest, BackupKind kind) throws IOException {
    throw new UnsupportedOperationException("catalog not implemented yet");
  }
}
