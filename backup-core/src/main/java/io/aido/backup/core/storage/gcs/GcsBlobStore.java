package io.aido.backup.core.storage.gcs;

import com.google.cloud.ReadChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobField;
import com.google.cloud.storage.Storage.BlobListOption;
import com.google.cloud.storage.Storage.BlobTargetOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.Storage.CopyRequest;
import com.google.cloud.storage.StorageException;
import io.aido.backup.core.storage.AtomicReplace;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.DeletionRefusedException;
import io.aido.backup.core.storage.ObjectChangedException;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectLocks;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.ServerSideCopy;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link BlobStore} in a Google Cloud Storage bucket, under an optional name prefix: the object
 * {@code data/x/part-0} of {@code gs://bucket/prod} is the GCS object {@code prod/data/x/part-0}.
 *
 * <p>Guarantees, beyond those of {@link BlobStore}:
 *
 * <ul>
 *   <li>Create-only: every upload carries {@code ifGenerationMatch=0}, so GCS itself refuses to
 *       replace an object (HTTP 412, raised as {@link ObjectExistsException}), even when two
 *       writers race.
 *   <li>All or nothing: content goes up as a resumable upload in chunks of {@link #chunkSize()}
 *       bytes; GCS makes the object visible only when the final chunk is accepted. If the content
 *       stream throws, the upload is abandoned without being finalized, so no object appears (GCS
 *       discards the unfinished session after a week).
 *   <li>Retries: transient failures (HTTP 408, 429, 5xx, broken connections) are retried by the
 *       client according to the {@link Storage}'s retry settings; see {@link GcsStorages}. The
 *       create-only upload is idempotent, so retrying it is safe.
 * </ul>
 *
 * <p>Memory: one chunk buffer ({@link #chunkSize()}) per upload in progress and the client's read
 * buffer per open stream.
 *
 * <p>Optional abilities: {@link ServerSideCopy} from another {@code GcsBlobStore} (a rewrite: the
 * bytes stay inside GCS; this store's client, so its credentials, must be allowed to read the
 * source bucket), and {@link ObjectLocks} from the object's retention time and holds.
 *
 * <p>Errors: a 403 on delete (a retention policy, an object hold, or a missing permission) is
 * {@link DeletionRefusedException}; every other failure is an {@link IOException} naming the object
 * and the store.
 *
 * <pre>{@code
 * BlobStore store = new GcsBlobStore(GcsStorages.production(), "my-backups", "prod");
 * }</pre>
 */
public final class GcsBlobStore implements BlobStore, AtomicReplace, ServerSideCopy, ObjectLocks {

  /** The upload chunk size unless told otherwise: large enough for throughput, small for heap. */
  public static final int DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

  /** GCS accepts resumable chunks only in multiples of this. */
  public static final int CHUNK_GRANULARITY = 256 * 1024;

  private final Storage storage;
  private final String bucket;
  private final String prefix;
  private final int chunkSize;
  private final String description;
  private final GcsFailures failures;

  /**
   * A store with the {@link #DEFAULT_CHUNK_SIZE}; see {@link #GcsBlobStore(Storage, String, String,
   * int)}.
   */
  public GcsBlobStore(Storage storage, String bucket, String prefix) {
    this(storage, bucket, prefix, DEFAULT_CHUNK_SIZE);
  }

  /**
   * A store over {@code bucket}, every object name starting with {@code prefix}.
   *
   * @param storage the client; its retry settings decide how transient failures are retried
   * @param bucket the bucket's name
   * @param prefix a folder-like name prefix such as {@code prod} or {@code prod/}, or empty for the
   *     whole bucket; a missing trailing slash is added
   * @param chunkSize bytes per upload request, a positive multiple of {@link #CHUNK_GRANULARITY}
   * @throws IllegalArgumentException if the bucket is empty, the prefix is not a valid key, or the
   *     chunk size is not a positive multiple of 256 KiB
   */
  public GcsBlobStore(Storage storage, String bucket, String prefix, int chunkSize) {
    this.storage = Objects.requireNonNull(storage, "storage");
    if (bucket == null || bucket.isEmpty() || bucket.contains("/")) {
      throw new IllegalArgumentException("invalid bucket name '" + bucket + "'");
    }
    if (chunkSize <= 0 || chunkSize % CHUNK_GRANULARITY != 0) {
      throw new IllegalArgumentException(
          "upload chunk size must be a positive multiple of 256 KiB, not " + chunkSize);
    }
    this.bucket = bucket;
    this.prefix = normalizePrefix(prefix);
    this.chunkSize = chunkSize;
    this.description =
        "gs://"
            + bucket
            + (this.prefix.isEmpty()
                ? ""
                : "/" + this.prefix.substring(0, this.prefix.length() - 1));
    this.failures = new GcsFailures(description);
  }

  private static String normalizePrefix(String prefix) {
    if (prefix == null || prefix.isEmpty() || prefix.equals("/")) {
      return "";
    }
    String trimmed = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    try {
      return ObjectKey.of(trimmed).name() + "/";
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid bucket prefix '" + prefix + "'", e);
    }
  }

  /** Bytes sent per upload request. */
  public int chunkSize() {
    return chunkSize;
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    BlobId id = idOf(key);
    if (statBlob(key, "create") != null) {
      throw new ObjectExistsException(key, description);
    }
    BlobInfo info = BlobInfo.newBuilder(id).setContentType("application/octet-stream").build();
    GcsUpload.write(
        storage,
        info,
        chunkSize,
        content,
        BlobWriteOption.doesNotExist(),
        e -> failures.create(key, e));
    Blob blob = statBlob(key, "create");
    if (blob == null) {
      throw new IOException(
          StorageMessages.failed(
              "create", key, description, "the upload finished but the object is not there"));
    }
    return infoOf(key, blob);
  }

  /**
   * Uploads a new generation with the precondition that the live generation is the one read (GCS
   * {@code ifGenerationMatch}): the new content becomes live in one step when the upload completes,
   * and an object deleted or replaced meanwhile is neither brought back nor overwritten (HTTP 412).
   * A bucket with a retention policy or a held object refuses (403).
   */
  @Override
  public ObjectInfo replace(ObjectKey key, ObjectInfo expected, InputStream content)
      throws IOException {
    Blob blob = statBlob(key, "replace");
    if (blob == null) {
      throw new ObjectNotFoundException(key, description);
    }
    ObjectInfo now = infoOf(key, blob);
    if (now.size() != expected.size() || !now.created().equals(expected.created())) {
      throw new ObjectChangedException(key, description);
    }
    BlobInfo info =
        BlobInfo.newBuilder(BlobId.of(bucket, blob.getName(), blob.getGeneration()))
            .setContentType("application/octet-stream")
            .build();
    GcsUpload.write(
        storage,
        info,
        chunkSize,
        content,
        BlobWriteOption.generationMatch(),
        e -> failures.replace(key, e));
    Blob replaced = statBlob(key, "replace");
    if (replaced == null) {
      throw new IOException(
          StorageMessages.failed(
              "replace", key, description, "the upload finished but the object is not there"));
    }
    return infoOf(key, replaced);
  }

  @Override
  public boolean canCopyFrom(BlobReader source) {
    return source instanceof GcsBlobStore;
  }

  @Override
  public ObjectInfo copyFrom(BlobReader source, ObjectKey key) throws IOException {
    if (!(source instanceof GcsBlobStore from)) {
      throw new IllegalArgumentException(
          "a rewrite needs a GCS source, not " + (source == null ? "null" : source.describe()));
    }
    Blob original = from.statBlob(key, "open");
    if (original == null) {
      throw new ObjectNotFoundException(key, from.describe());
    }
    if (statBlob(key, "create") != null) {
      throw new ObjectExistsException(key, description);
    }
    CopyRequest request =
        CopyRequest.newBuilder()
            .setSource(BlobId.of(from.bucket, original.getName(), original.getGeneration()))
            .setTarget(
                BlobInfo.newBuilder(idOf(key)).setContentType("application/octet-stream").build(),
                BlobTargetOption.doesNotExist())
            .build();
    try {
      // the rewrite goes on, call after call, until GCS reports it done; only then is it visible
      storage.copy(request).getResult();
    } catch (StorageException e) {
      throw failures.create(key, e);
    }
    Blob blob = statBlob(key, "create");
    if (blob == null) {
      throw new IOException(
          StorageMessages.failed(
              "create", key, description, "the rewrite finished but the object is not there"));
    }
    return infoOf(key, blob);
  }

  @Override
  public Optional<String> lock(ObjectKey key, Instant now) throws IOException {
    Blob blob = statBlob(key, "stat");
    if (blob == null) {
      return Optional.empty();
    }
    if (Boolean.TRUE.equals(blob.getTemporaryHold())) {
      return Optional.of("a temporary hold");
    }
    if (Boolean.TRUE.equals(blob.getEventBasedHold())) {
      return Optional.of("an event-based hold");
    }
    OffsetDateTime until = blob.getRetentionExpirationTimeOffsetDateTime();
    if (until != null && until.toInstant().isAfter(now)) {
      return Optional.of("the bucket's retention policy until " + until.toInstant());
    }
    return Optional.empty();
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    if (offset < 0 || length < -1) {
      throw new IllegalArgumentException("invalid range: offset " + offset + ", length " + length);
    }
    Blob blob = statBlob(key, "open");
    if (blob == null) {
      throw new ObjectNotFoundException(key, description);
    }
    long size = blob.getSize() == null ? 0 : blob.getSize();
    long end = length < 0 ? size : Math.min(size, offset + length);
    if (offset >= end) {
      return InputStream.nullInputStream();
    }
    try {
      ReadChannel reader = storage.reader(BlobId.of(bucket, blob.getName(), blob.getGeneration()));
      reader.seek(offset);
      reader = reader.limit(end);
      return new ReadChannelInputStream(reader, key, description, end - offset);
    } catch (IOException | StorageException e) {
      throw new IOException(
          StorageMessages.failed("open", key, description, StorageMessages.cause(e)), e);
    }
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
    Blob blob = statBlob(key, "stat");
    return blob == null ? Optional.empty() : Optional.of(infoOf(key, blob));
  }

  private Blob statBlob(ObjectKey key, String verb) throws IOException {
    try {
      return storage.get(idOf(key));
    } catch (StorageException e) {
      if (e.getCode() == 404) {
        return null;
      }
      throw new IOException(
          StorageMessages.failed(verb, key, description, StorageMessages.cause(e)), e);
    }
  }

  @Override
  public List<ObjectInfo> list(String listPrefix) throws IOException {
    List<ObjectInfo> found = new ArrayList<>();
    try {
      for (Blob blob :
          storage
              .list(
                  bucket,
                  BlobListOption.prefix(prefix + listPrefix),
                  BlobListOption.fields(
                      BlobField.NAME, BlobField.SIZE, BlobField.TIME_CREATED, BlobField.UPDATED))
              .iterateAll()) {
        ObjectKey key = keyOf(blob.getName());
        if (key != null && key.startsWith(listPrefix)) {
          found.add(infoOf(key, blob));
        }
      }
    } catch (StorageException e) {
      throw new IOException(
          StorageMessages.listFailed(listPrefix, description, StorageMessages.cause(e)), e);
    }
    found.sort((a, b) -> a.key().compareTo(b.key()));
    return found;
  }

  /** The key of a GCS object name, or null for a name no key can have (a console "folder/"). */
  private ObjectKey keyOf(String name) {
    if (!name.startsWith(prefix)) {
      return null;
    }
    try {
      return ObjectKey.of(name.substring(prefix.length()));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public void delete(ObjectKey key) throws IOException {
    try {
      storage.delete(idOf(key));
    } catch (StorageException e) {
      if (e.getCode() == 404) {
        return;
      }
      if (e.getCode() == 403) {
        throw new DeletionRefusedException(key, description, StorageMessages.cause(e));
      }
      throw new IOException(
          StorageMessages.failed("delete", key, description, StorageMessages.cause(e)), e);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  private BlobId idOf(ObjectKey key) {
    return BlobId.of(bucket, prefix + key.name());
  }

  private ObjectInfo infoOf(ObjectKey key, Blob blob) throws IOException {
    OffsetDateTime created = blob.getCreateTimeOffsetDateTime();
    if (created == null) {
      created = blob.getUpdateTimeOffsetDateTime();
    }
    if (created == null) {
      throw new IOException(
          StorageMessages.failed("stat", key, description, "the store did not report a time"));
    }
    Instant time = created.toInstant();
    return new ObjectInfo(key, blob.getSize() == null ? 0 : blob.getSize(), time);
  }
}
