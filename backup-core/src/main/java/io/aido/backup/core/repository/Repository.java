package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.RepositoryFormat;
import io.aido.backup.core.catalog.SealMarker;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.repository.internal.RecordSeals;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One backup repository: a store, its catalog, and the pipeline that writes into it. What jobs use.
 *
 * <p>Guarantees: {@link #open} makes sure {@code format.json} exists (created once, create-only,
 * never rewritten; concurrent creators agree) and refuses a repository of a newer format with
 * {@link io.aido.backup.core.catalog.UnsupportedFormatException}. Every backup gets a fresh id and
 * a fresh data key wrapped by the key-encryption key; its record is written last, so a backup that
 * was not committed stays invisible. Its record is sealed with its data key, and {@link #reader}
 * authenticates the record before anything is read. Reading checks every part against its record.
 *
 * <pre>{@code
 * Repository repo = Repository.open(store, pipeline, clock);
 * try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, source, kek)) {
 *   w.writePart("todo.dump", pgDumpStdout);
 *   BackupRecord r = w.commit(Map.of("rowCounts", counts));
 * }
 * BackupReader reader = repo.reader(repo.catalog().resolve("latest", BackupKind.DB_LOGICAL), kek);
 * }</pre>
 */
public final class Repository {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final BlobStore store;
  private final Pipeline pipeline;
  private final Clock clock;
  private final RepositoryFormat format;
  private volatile boolean sealMarked;

  private Repository(BlobStore store, Pipeline pipeline, Clock clock, RepositoryFormat format) {
    this.store = store;
    this.pipeline = pipeline;
    this.clock = clock;
    this.format = format;
  }

  /**
   * Opens the repository in {@code store}, creating {@code format.json} if it is new.
   *
   * @throws io.aido.backup.core.catalog.UnsupportedFormatException if it has a newer format
   * @throws IOException if {@code format.json} is unreadable or the store fails
   */
  public static Repository open(BlobStore store, Pipeline pipeline, Clock clock)
      throws IOException {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(clock, "clock");
    ObjectKey key = Layout.format();
    RepositoryFormat found = readFormat(store, key);
    if (found == null) {
      RepositoryFormat created =
          new RepositoryFormat(Layout.REPOSITORY_FORMAT, clock.instant(), toolVersion());
      try {
        store.create(key, new ByteArrayInputStream(RecordJson.write(created)));
        found = created;
      } catch (ObjectExistsException e) {
        // another job created it first: use theirs
        found = readFormat(store, key);
        if (found == null) {
          throw new IOException(
              StorageMessages.failed(
                  "read", key, store.describe(), "it exists and vanished while being read"));
        }
      }
    }
    return new Repository(store, pipeline, clock, found);
  }

  /**
   * Opens the repository in {@code store} for reading, never creating it: what commands that only
   * read (verify, catalog) use, so that an empty or mistyped URL is reported instead of becoming a
   * new, empty repository.
   *
   * @throws NoRepositoryException if {@code format.json} is missing
   * @throws io.aido.backup.core.catalog.UnsupportedFormatException if it has a newer format
   * @throws IOException if {@code format.json} is unreadable or the store fails
   */
  public static Repository openExisting(BlobStore store, Pipeline pipeline, Clock clock)
      throws IOException {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(clock, "clock");
    RepositoryFormat found = readFormat(store, Layout.format());
    if (found == null) {
      throw new NoRepositoryException(store.describe());
    }
    return new Repository(store, pipeline, clock, found);
  }

  private static RepositoryFormat readFormat(BlobStore store, ObjectKey key) throws IOException {
    try (InputStream in = store.open(key)) {
      return RecordJson.readFormat(in, store.describe() + "/" + key);
    } catch (ObjectNotFoundException e) {
      return null;
    }
  }

  /**
   * Proves, before a backup moves any byte, that the store takes new objects and lets us remove
   * them: a probe of a few bytes is created under {@code probe/} and deleted. Without this, a
   * read-only credential or a full disk shows only after the whole dump.
   *
   * <p>A store that refuses the deletion (a bucket retention policy, or a credential that may
   * create but not delete, as the gke overlay's backup accounts) leaves the probe behind; that is
   * not an error, and retention removes probes older than its grace period ({@link
   * io.aido.backup.core.retention.RetentionRun}).
   *
   * @throws IOException naming the store and what failed, if the probe cannot be written
   */
  public void checkWritable() throws IOException {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    ObjectKey probe = Layout.probe(clock.instant(), HexFormat.of().formatHex(random));
    byte[] content = "write probe\n".getBytes(StandardCharsets.US_ASCII);
    try {
      store.create(probe, new ByteArrayInputStream(content));
    } catch (IOException e) {
      throw new IOException(
          "repository "
              + store.describe()
              + " does not take new objects (checked before the backup started): "
              + e.getMessage(),
          e);
    }
    try {
      store.delete(probe);
    } catch (DeletionRefusedException e) {
      // retention-locked bucket: the probe stays, like every backup there
    }
  }

  /** The version in the jar's manifest, or {@code dev} when running from classes. */
  public static String toolVersion() {
    String v = Repository.class.getPackage().getImplementationVersion();
    return v == null || v.isBlank() ? "dev" : v;
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

  /** What {@code format.json} says. */
  public RepositoryFormat format() {
    return format;
  }

  /** The catalog, to read; {@link #commit} is the only way to add a record to it. */
  public Catalog catalog() {
    return new Catalog(store);
  }

  /**
   * Starts a backup: a fresh data key wrapped by {@code kek}, and a new id from the clock.
   *
   * @throws GeneralSecurityException if the data key cannot be made or wrapped (KMS refused)
   */
  public BackupWriter begin(BackupKind kind, Source source, KeyEncryptionKey kek)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(kek, "kek");
    DataKey dataKey = DataKey.generate();
    BackupId id = BackupId.generate(clock.instant(), RANDOM);
    return new RepositoryBackupWriter(
        this,
        kind,
        id,
        source,
        clock.instant(),
        dataKey,
        dataKey.wrap(kek, Layout.keyBinding(kind, id)));
  }

  /**
   * Makes a backup visible by writing its record, last: the one way a record enters the catalog.
   * The record is written create-only and only after every part it names was found with the stored
   * size.
   *
   * @throws IOException if a part is missing or has another size (nothing is written), or storing
   *     the record fails
   * @throws io.aido.backup.core.storage.ObjectExistsException if a record with this id exists
   * @throws IllegalArgumentException if the record is not a complete one of the current format, or
   *     names a part twice
   */
  public void commit(BackupRecord record) throws IOException {
    Objects.requireNonNull(record, "record");
    ObjectKey key = Layout.record(record.kind(), record.id());
    if (record.format() != BackupRecord.FORMAT || !BackupRecord.COMPLETE.equals(record.status())) {
      throw new IllegalArgumentException(
          "backup "
              + record.id()
              + ": only a complete format-"
              + BackupRecord.FORMAT
              + " record can be committed");
    }
    Set<String> names = new HashSet<>();
    for (PartRecord part : record.parts()) {
      if (!names.add(part.name())) {
        throw new IllegalArgumentException(
            "backup " + record.id() + ": part '" + part.name() + "' appears twice");
      }
      ObjectKey object = ObjectKey.of(part.object());
      Optional<ObjectInfo> info = store.stat(object);
      if (info.isEmpty()) {
        throw new IOException(
            "unable to commit backup "
                + record.id()
                + ": part '"
                + part.name()
                + "' (object '"
                + object
                + "') is missing in "
                + store.describe()
                + "; no record was written, the backup stays invisible");
      }
      if (info.get().size() != part.storedSize()) {
        throw new IOException(
            "unable to commit backup "
                + record.id()
                + ": part '"
                + part.name()
                + "' (object '"
                + object
                + "') has "
                + info.get().size()
                + " bytes in "
                + store.describe()
                + " but "
                + part.storedSize()
                + " were written; no record was written, the backup stays invisible");
      }
    }
    if (record.seal() != null) {
      markSealed(record);
    }
    byte[] json = RecordJson.write(record);
    store.create(
        key, KillPoints.during("record-write", new ByteArrayInputStream(json), json.length));
    KillPoints.reach("after-record");
  }

  /**
   * Creates the seal marker, once, before the first sealed record: from this record's start on, an
   * unsealed record is a stripped one.
   */
  private void markSealed(BackupRecord record) throws IOException {
    if (sealMarked) {
      return;
    }
    SealMarker marker = new SealMarker(SealMarker.FORMAT, record.startedAt(), toolVersion());
    try {
      store.create(Layout.sealMarker(), new ByteArrayInputStream(RecordJson.write(marker)));
    } catch (ObjectExistsException e) {
      // an earlier sealed commit made it; the first one stands
    }
    sealMarked = true;
  }

  /**
   * Opens a committed backup for reading: unwraps its data key with {@code kek}, then authenticates
   * the record as stored against its seal, before any part is read.
   *
   * @throws io.aido.backup.core.crypto.WrongKeyException if {@code kek} did not wrap this backup's
   *     data key (the message names both keys), or the record holds another backup's wrapped key
   * @throws TamperedRecordException if the record was edited after it was sealed, or its seal was
   *     stripped (see {@link SealMarker})
   * @throws IOException if the record can no longer be read (deleted meanwhile) or the store fails
   */
  public BackupReader reader(BackupRecord record, KeyEncryptionKey kek)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(record, "record");
    DataKey dataKey =
        DataKey.unwrap(record.encryption(), kek, Layout.keyBinding(record.kind(), record.id()));
    RecordSeals.check(store, record, dataKey);
    return new RepositoryBackupReader(store, pipeline, record, dataKey);
  }
}
