package io.aido.backup.core.catalog;

import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup records of one repository, read-only: records are written only by {@link
 * io.aido.backup.core.repository.Repository#commit}.
 *
 * <p>Guarantees: a backup exists for the catalog exactly when its record exists; payload without a
 * record is never listed. Lists are sorted oldest first by start instant (an id names only the
 * start second, so two backups started in the same second are told apart by the instant their
 * records hold), and {@link #latest} is the last of them.
 *
 * <p>Unreadable records: {@link #list} skips a record file that cannot be read (corrupt JSON, a
 * format newer than this tool) and logs a warning naming it, because one damaged file must not hide
 * every other backup from a restore. {@link #scan} returns the same records together with the
 * unreadable files and why, for verification and retention, which must treat such a file as a
 * backup that exists (its payload is not an orphan). {@link #find} of the unreadable id throws.
 *
 * <pre>{@code
 * Catalog catalog = repository.catalog();
 * BackupRecord r = catalog.resolve("latest", BackupKind.DB_LOGICAL);
 * }</pre>
 */
public final class Catalog {
  private static final Logger log = LoggerFactory.getLogger(Catalog.class);
  private static final String LATEST = "latest";

  private final BlobReader reader;

  public Catalog(BlobReader reader) {
    this.reader = Objects.requireNonNull(reader, "reader");
  }

  /**
   * A record file that exists but cannot be read.
   *
   * @param key the record object
   * @param problem why it could not be read
   */
  public record Unreadable(ObjectKey key, String problem) {}

  /**
   * What {@link #scan} found.
   *
   * @param records readable records, oldest first
   * @param unreadable record files that exist but cannot be read, by name
   */
  public record Listing(List<BackupRecord> records, List<Unreadable> unreadable) {
    public Listing {
      records = List.copyOf(records);
      unreadable = List.copyOf(unreadable);
    }
  }

  /**
   * Every readable backup, of one kind or (null) all kinds, oldest first. Unreadable record files
   * are skipped with a warning; see {@link #scan}.
   *
   * @throws IOException if listing or reading the store fails
   */
  public List<BackupRecord> list(BackupKind kind) throws IOException {
    Listing listing = scan(kind);
    for (Unreadable u : listing.unreadable()) {
      log.warn("skipping backup record '{}' in {}: {}", u.key(), reader.describe(), u.problem());
    }
    return listing.records();
  }

  /**
   * Every record file of one kind or (null) all kinds: the readable ones oldest first, and those
   * that exist but cannot be read. Objects under {@code catalog/} that are not named like a record
   * ({@code catalog/<kind>/<id>.json}) are not records and are ignored.
   *
   * @throws IOException if listing or reading the store fails (as opposed to a record being bad)
   */
  public Listing scan(BackupKind kind) throws IOException {
    List<BackupRecord> records = new ArrayList<>();
    List<Unreadable> unreadable = new ArrayList<>();
    for (ObjectInfo info : reader.list(Layout.recordPrefix(kind))) {
      Optional<Layout.RecordName> named = Layout.RecordName.parse(info.key());
      if (named.isEmpty()) {
        continue;
      }
      try {
        BackupRecord r = read(info.key());
        check(r, named.get(), info.key());
        records.add(r);
      } catch (ObjectNotFoundException e) {
        // deleted between list and read (retention): it no longer exists
      } catch (RecordProblem e) {
        unreadable.add(new Unreadable(info.key(), e.getMessage()));
      }
    }
    // ids name the start second only: two backups started in the same second sort by their start
    // instant, so the last one listed is the newest (latest) whatever their random suffixes
    records.sort(
        Comparator.comparing(BackupRecord::startedAt)
            .thenComparing(BackupRecord::id)
            .thenComparing(r -> r.kind().id()));
    return new Listing(records, unreadable);
  }

  /**
   * The backup with this id, of any kind.
   *
   * @throws IOException if its record exists but cannot be read, or the store fails
   */
  public Optional<BackupRecord> find(BackupId id) throws IOException {
    for (BackupKind kind : BackupKind.values()) {
      ObjectKey key = Layout.record(kind, id);
      try {
        BackupRecord r = read(key);
        check(r, new Layout.RecordName(kind, id), key);
        return Optional.of(r);
      } catch (ObjectNotFoundException e) {
        // not of this kind
      } catch (RecordProblem e) {
        throw new IOException(
            "unable to read backup " + id + " in " + reader.describe() + ": " + e.getMessage(),
            e.getCause());
      }
    }
    return Optional.empty();
  }

  /** The newest readable backup of a kind (or of any kind, for null). */
  public Optional<BackupRecord> latest(BackupKind kind) throws IOException {
    List<BackupRecord> all = list(kind);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * Resolves {@code latest} or an id, as users type them.
   *
   * @param kind the kind expected, or null for any
   * @throws IllegalArgumentException if {@code idOrLatest} is neither {@code latest} nor an id
   * @throws IOException naming what was asked for when there is no such backup, or it is of another
   *     kind
   */
  public BackupRecord resolve(String idOrLatest, BackupKind kind) throws IOException {
    String what = kind == null ? "backup" : kind.id() + " backup";
    if (LATEST.equals(idOrLatest)) {
      return latest(kind)
          .orElseThrow(() -> new IOException("no " + what + " in " + reader.describe() + " yet"));
    }
    if (!BackupId.isValid(idOrLatest)) {
      throw new IllegalArgumentException(
          "'"
              + idOrLatest
              + "' is not a backup id (expected 'latest' or an id like 20261124T020000Z-a1b2c3)");
    }
    BackupId id = new BackupId(idOrLatest);
    BackupRecord r =
        find(id).orElseThrow(() -> new IOException("no backup " + id + " in " + reader.describe()));
    if (kind != null && r.kind() != kind) {
      throw new IOException(
          "backup "
              + id
              + " in "
              + reader.describe()
              + " is a "
              + r.kind().id()
              + " backup, not a "
              + kind.id()
              + " backup");
    }
    return r;
  }

  private BackupRecord read(ObjectKey key) throws IOException {
    byte[] bytes;
    try (InputStream in = reader.open(key)) {
      bytes = in.readNBytes(RecordJson.MAX_BYTES + 1);
    } catch (ObjectNotFoundException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException(
          StorageMessages.failed("read", key, reader.describe(), StorageMessages.cause(e)), e);
    }
    try {
      return RecordJson.read(new ByteArrayInputStream(bytes), key.name());
    } catch (IOException e) {
      throw new RecordProblem(e.getMessage(), e);
    }
  }

  private static void check(BackupRecord r, Layout.RecordName named, ObjectKey key)
      throws RecordProblem {
    if (!r.id().equals(named.id()) || r.kind() != named.kind()) {
      throw new RecordProblem(
          "record '"
              + key
              + "' describes "
              + r.kind().id()
              + " backup "
              + r.id()
              + ", not the one its name says",
          null);
    }
  }

  /** The record's content is bad, as opposed to the store failing. */
  private static final class RecordProblem extends IOException {
    private static final long serialVersionUID = 1L;

    RecordProblem(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
