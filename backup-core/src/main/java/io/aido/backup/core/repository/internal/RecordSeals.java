package io.aido.backup.core.repository.internal;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.SealMarker;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.repository.TamperedRecordException;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.Optional;

/**
 * Seals backup records and checks their seals (see {@link BackupRecord} and {@link SealMarker}).
 *
 * <p>Guarantees: {@link #seal} covers every field of the record but the seal itself, bound to the
 * record's kind and id, with the backup's own data key; {@link #check} reads the record back from
 * the store, makes sure it is the record the caller holds, and authenticates it as stored (fields
 * this version does not know included). An unsealed record passes only when the repository's marker
 * does not require a seal for a backup started when it was.
 *
 * <p>Restrictions: what the seal cannot show is a record deleted, the marker deleted together with
 * every seal stripped from the records it covers, or a whole backup replaced by another of the same
 * key holder; see docs/architecture.md.
 */
public final class RecordSeals {
  private RecordSeals() {}

  /**
   * {@code record} sealed with {@code key}, its backup's data key.
   *
   * @throws GeneralSecurityException if the key cannot seal
   */
  public static BackupRecord seal(BackupRecord record, DataKey key)
      throws GeneralSecurityException {
    BackupRecord unsealed = record.withSeal(null);
    byte[] content;
    try {
      content = RecordJson.sealedContent(RecordJson.write(unsealed), "record " + record.id());
    } catch (IOException e) {
      throw new IllegalStateException("a record this tool wrote is not JSON", e);
    }
    return unsealed.withSeal(key.seal(content, binding(record)));
  }

  /**
   * {@code record}, read from {@code stored}, with its data key wrapped anew as {@code moved}: its
   * seal is checked first (a record edited behind the tool's back must not come out of a rewrap
   * freshly sealed) and made again; an unsealed record stays unsealed.
   *
   * @throws TamperedRecordException if it does not match its seal or lacks a required one
   * @throws GeneralSecurityException if sealing fails
   */
  public static BackupRecord rewrapped(
      byte[] stored,
      BackupRecord record,
      DataKey key,
      WrappedDataKey moved,
      Optional<SealMarker> marker)
      throws GeneralSecurityException {
    check(stored, record, key, marker);
    BackupRecord updated = record.withEncryption(moved);
    return record.seal() == null ? updated : seal(updated, key);
  }

  /**
   * Authenticates {@code record} against its stored form in {@code store}.
   *
   * @param key the backup's data key, unwrapped
   * @throws TamperedRecordException if the stored record differs from {@code record}, does not
   *     match its seal, or lacks a seal the marker requires
   * @throws IOException if the record or the marker cannot be read
   */
  public static void check(BlobReader store, BackupRecord record, DataKey key)
      throws IOException, TamperedRecordException {
    ObjectKey object = Layout.record(record.kind(), record.id());
    byte[] stored = read(store, object);
    BackupRecord again = RecordJson.read(new java.io.ByteArrayInputStream(stored), object.name());
    if (!again.equals(record)) {
      throw new TamperedRecordException(
          record.id(), "record '" + object + "' changed while it was being read", null);
    }
    check(stored, record, key, marker(store));
  }

  /**
   * Authenticates {@code record}, read from {@code stored}, under {@code marker}.
   *
   * @throws TamperedRecordException if it does not match its seal or lacks a required one
   */
  public static void check(
      byte[] stored, BackupRecord record, DataKey key, Optional<SealMarker> marker)
      throws TamperedRecordException {
    ObjectKey object = Layout.record(record.kind(), record.id());
    if (record.seal() == null) {
      if (marker.isPresent() && marker.get().requiresSeal(record.startedAt())) {
        throw new TamperedRecordException(
            record.id(),
            "record '"
                + object
                + "' has no seal, but every record of a backup started since "
                + marker.get().sealedSince()
                + " is sealed (the seal was stripped, or an older version wrote it); tampered,"
                + " do not restore it",
            null);
      }
      return;
    }
    try {
      key.checkSeal(
          record.seal(), RecordJson.sealedContent(stored, object.name()), binding(record));
    } catch (GeneralSecurityException | IOException e) {
      throw new TamperedRecordException(
          record.id(),
          "record '"
              + object
              + "' failed authentication ("
              + e.getMessage()
              + "): it was edited after it was written; tampered, do not restore it",
          e);
    }
  }

  /**
   * The repository's seal marker, if it has one.
   *
   * @throws IOException if it exists but cannot be read, or the store fails
   */
  public static Optional<SealMarker> marker(BlobReader store) throws IOException {
    ObjectKey key = Layout.sealMarker();
    try (InputStream in = store.open(key)) {
      return Optional.of(RecordJson.readSealMarker(in, store.describe() + "/" + key));
    } catch (ObjectNotFoundException e) {
      return Optional.empty();
    }
  }

  private static byte[] read(BlobReader store, ObjectKey object) throws IOException {
    try (InputStream in = store.open(object)) {
      return in.readNBytes(RecordJson.MAX_BYTES + 1);
    } catch (ObjectNotFoundException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(
          StorageMessages.failed("read", object, store.describe(), StorageMessages.cause(e)), e);
    }
  }

  private static String binding(BackupRecord record) {
    return Layout.recordSealBinding(record.kind(), record.id());
  }
}
