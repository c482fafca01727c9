package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.storage.BlobStore;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;

/**
 * One backup repository: a store, its catalog, and the pipeline that writes into it. What jobs use.
 *
 * <p>TODO(pipeline helper): implement. {@link #open} checks or creates {@code format.json} (create
 * once, never rewritten; refuses a newer format with a clear message).
 *
 * <pre>{@code
 * Repository repo = Repository.open(store, pipeline, clock);
 * try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, source, kek)) {
 *   w.writePart("todo.dump", pgDumpStdout);
 *   BackupRecord r = w.commit(Map.of("rowCounts", counts));
 * }
 * }</pre>
 */
public final class Repository {
  private final BlobStore store;
  private final Pipeline pipeline;
  private final Clock clock;

  private Repository(BlobStore store, Pipeline pipeline, Clock clock) {
    this.store = store;
    this.pipeline = pipeline;
    this.clock = clock;
  }

  public static Repository open(BlobStore store, Pipeline pipeline, Clock clock)
      throws IOException {
    throw new UnsupportedOperationException("repository not implemented yet");
  }

  public BlobStore store() {
    return store;
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  public Clock clock() {
    return clock;
  }

  public Catalog catalog() {
    return new Catalog(store);
  }

  /** Starts a backup: a fresh data key wrapped by {@code kek}, and a new id. */
  public BackupWriter begin(BackupKind kind, Source source, KeyEncryptionKey kek)
      throws IOException, GeneralSecurityException {
    throw new UnsupportedOperationException("repository not implemented yet");
  }

  /** Opens a committed backup for reading; unwraps its data key with {@code kek}. */
  public BackupReader reader(io.aido.backup.core.catalog.BackupRecord record, KeyEncryptionKey kek)
      throws IOException, GeneralSecurityException {
    throw new UnsupportedOperationException("repository not implemented yet");
  }
}
