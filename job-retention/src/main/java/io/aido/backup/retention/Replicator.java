package io.aido.backup.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.ServerSideCopy;
import io.aido.backup.core.storage.StorageMessages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Copies every complete backup, and every archived WAL object, that a secondary repository lacks
 * from the primary, exactly as stored: the bytes are already compressed and encrypted, so no key is
 * needed and the secondary holds the same objects under the same names.
 *
 * <h2>What is compared</h2>
 *
 * Only the catalogs and the WAL archive's names: {@code catalog/} and {@code wal/} are listed on
 * both sides, and a backup is copied when the primary has its record and the secondary does not.
 * Data objects are never listed; their names, sizes and hashes come from the record. A run with
 * nothing new is four listings and a read of {@code format.json}.
 *
 * <h2>Order and crashes</h2>
 *
 * Per backup, as a backup is published: every data part first, each checked, then the record, the
 * exact bytes of the primary's. A run killed at any point leaves at most data objects without a
 * record in the secondary, which no reader lists. The next run copies the backup again: a part that
 * is already there (create-only stores refuse to replace it) is read back and accepted when its
 * size and SHA-256 are the expected ones, and deleted and copied again otherwise.
 *
 * <h2>Checks</h2>
 *
 * Every copied object is read back from the secondary and its size and SHA-256 compared with the
 * record's: the stored size, and the stored bytes' SHA-256 that records carry since it was added
 * ({@link PartRecord#storedSha256()}). For an older record, and for WAL objects (which have no
 * record), the expected hash is that of the bytes read from the primary while copying. A mismatch
 * fails that backup: its record is not written, the object that does not match is deleted when the
 * store allows, and the other backups are still copied.
 *
 * <h2>Copying</h2>
 *
 * When the secondary can copy from the primary inside the store ({@link ServerSideCopy}: a GCS
 * rewrite between buckets), it does; otherwise the object is streamed, never held in memory.
 *
 * <pre>{@code
 * Replicator.Report report = new Replicator(primary, secondary, clock.instant()).run();
 * }</pre>
 */
final class Replicator {
  private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);

  private final BlobReader primary;
  private final BlobStore secondary;
  private final Instant now;
  private final CheckedCopy copier;
  private final Consumer<String> progress;

  /**
   * @param primary the repository copied from; only read
   * @param secondary the repository copied into; only created into, and an object that a killed run
   *     left and that does not match is deleted
   * @param now the time the lag is measured at
   * @param progress told one line per backup and per WAL batch copied
   */
  Replicator(BlobReader primary, BlobStore secondary, Instant now, Consumer<String> progress) {
    this.primary = Objects.requireNonNull(primary, "primary");
    this.secondary = Objects.requireNonNull(secondary, "secondary");
    this.now = Objects.requireNonNull(now, "now");
    this.progress = Objects.requireNonNull(progress, "progress");
    this.copier = new CheckedCopy(primary, secondary);
  }

  /**
   * A backup whose copy failed.
   *
   * @param kind its kind
   * @param id its id
   * @param message what failed, and that no record was written
   */
  record Failure(BackupKind kind, BackupId id, String message) {}

  /**
   * What a run did.
   *
   * @param backupsCopied backups whose record was written into the secondary by this run
   * @param walCopied WAL objects copied
   * @param objectsCopied objects created in the secondary (parts, records, WAL)
   * @param bytesCopied bytes of those objects
   * @param failures backups not copied, with the reason; the run failed when there is any
   * @param walFailures WAL objects not copied, with the reason
   * @param lag the age of the newest primary backup that is still not in the secondary, zero when
   *     there is none
   * @param serverSide whether objects were copied inside the store
   */
  record Report(
      int backupsCopied,
      int walCopied,
      long objectsCopied,
      long bytesCopied,
      List<Failure> failures,
      List<String> walFailures,
      Duration lag,
      boolean serverSide) {
    Report {
      failures = List.copyOf(failures);
      walFailures = List.copyOf(walFailures);
    }

    boolean failed() {
      return !failures.isEmpty() || !walFailures.isEmpty();
    }

    String summary() {
      return "copied "
          + backupsCopied
          + " backups and "
          + walCopied
          + " WAL objects ("
          + objectsCopied
          + " objects, "
          + bytesCopied
          + " bytes"
          + (serverSide ? ", inside the store" : "")
          + "); lag "
          + lag.toSeconds()
          + " s"
          + (failures.isEmpty() ? "" : "; " + failures.size() + " backups FAILED")
          + (walFailures.isEmpty() ? "" : "; " + walFailures.size() + " WAL objects FAILED");
    }
  }

  /**
   * Copies what the secondary lacks.
   *
   * @throws IOException if listing either catalog or WAL archive fails (nothing was compared, so
   *     nothing was copied)
   */
  Report run() throws IOException {
    copyFormat();
    Set<ObjectKey> present = keys(secondary.list(Layout.CATALOG));
    List<Missing> missing = new ArrayList<>();
    for (ObjectInfo info : primary.list(Layout.CATALOG)) {
      Missing.parse(info.key()).filter(m -> !present.contains(m.record())).ifPresent(missing::add);
    }
    missing.sort(Comparator.comparing(Missing::id).thenComparing(m -> m.kind().id()));

    List<Failure> failures = new ArrayList<>();
    Instant newestLeft = null;
    int copied = 0;
    for (Missing m : missing) {
      try (MDC.MDCCloseable a = MDC.putCloseable("backup_id", m.id().value());
          MDC.MDCCloseable b = MDC.putCloseable("kind", m.kind().id())) {
        Optional<String> problem = copyBackup(m);
        if (problem.isEmpty()) {
          copied++;
        } else if (!problem.get().isEmpty()) {
          failures.add(new Failure(m.kind(), m.id(), problem.get()));
          LOG.error("backup {} {}: {}", m.kind().id(), m.id(), problem.get());
          newestLeft = newestLeft == null || m.time().isAfter(newestLeft) ? m.time() : newestLeft;
        }
      }
    }

    List<String> walFailures = new ArrayList<>();
    int wal = copyWal(walFailures);
    Duration lag =
        newestLeft == null || newestLeft.isAfter(now)
            ? Duration.ZERO
            : Duration.between(newestLeft, now);
    return new Report(
        copied,
        wal,
        copier.objects(),
        copier.bytes(),
        failures,
        walFailures,
        lag,
        copier.serverSide());
  }

  /**
   * Makes the secondary a repository of the primary's format: its {@code format.json} is copied
   * when the secondary has none, and one that is there must be readable by this version.
   */
  private void copyFormat() throws IOException {
    ObjectKey key = Layout.format();
    if (secondary.stat(key).isEmpty()) {
      byte[] format;
      try (InputStream in = primary.open(key)) {
        format = in.readNBytes(RecordJson.MAX_BYTES + 1);
      }
      RecordJson.readFormat(new ByteArrayInputStream(format), primary.describe() + "/" + key);
      try {
        secondary.create(key, new ByteArrayInputStream(format));
        copier.counted(format.length);
      } catch (ObjectExistsException e) {
        // another run created it meanwhile; checked below
      }
    }
    try (InputStream in = secondary.open(key)) {
      RecordJson.readFormat(in, secondary.describe() + "/" + key);
    }
  }

  /** A record the secondary lacks, known by its name. */
  private record Missing(BackupKind kind, BackupId id, ObjectKey record) {
    static Optional<Missing> parse(ObjectKey key) {
      String[] segments = key.name().split("/");
      if (segments.length != 3 || !segments[2].endsWith(".json")) {
        return Optional.empty();
      }
      String id = segments[2].substring(0, segments[2].length() - ".json".length());
      if (!BackupId.isValid(id)) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Missing(BackupKind.fromId(segments[1]), new BackupId(id), key));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }

    Instant time() {
      return id.time();
    }
  }

  /**
   * Copies one backup: its parts, then its record.
   *
   * @return empty when copied; an empty string when the primary no longer has it (retention removed
   *     it meanwhile); else what failed
   */
  private Optional<String> copyBackup(Missing m) {
    byte[] recordBytes;
    BackupRecord record;
    try (InputStream in = primary.open(m.record())) {
      recordBytes = in.readNBytes(RecordJson.MAX_BYTES + 1);
      record = RecordJson.read(new ByteArrayInputStream(recordBytes), m.record().name());
    } catch (ObjectNotFoundException e) {
      LOG.info("backup {} was removed from {} meanwhile; not copied", m.id(), primary.describe());
      return Optional.of("");
    } catch (IOException e) {
      return Optional.of(
          "unable to read its record in "
              + primary.describe()
              + ": "
              + StorageMessages.cause(e)
              + "; no record was written in "
              + secondary.describe());
    }
    if (!record.id().equals(m.id()) || record.kind() != m.kind()) {
      return Optional.of(
          "record '"
              + m.record()
              + "' describes another backup; no record was written in "
              + secondary.describe());
    }
    long partBytes = 0;
    for (PartRecord part : record.parts()) {
      ObjectKey key;
      try {
        key = ObjectKey.of(part.object());
      } catch (IllegalArgumentException e) {
        return Optional.of("part '" + part.name() + "' names no valid object");
      }
      try {
        KillPoints.reach("replicate-part");
        partBytes += copier.copy(key, part.storedSize(), part.storedSha256());
      } catch (ObjectNotFoundException e) {
        if (removedMeanwhile(m)) {
          LOG.info(
              "backup {} was removed from {} meanwhile; not copied", m.id(), primary.describe());
          return Optional.of("");
        }
        return Optional.of(
            "part '"
                + part.name()
                + "': "
                + e.getMessage()
                + "; no record was written in "
                + secondary.describe());
      } catch (IOException e) {
        return Optional.of(
            "part '"
                + part.name()
                + "': "
                + e.getMessage()
                + "; no record was written in "
                + secondary.describe());
      }
    }
    try {
      copier.copyRecord(m.record(), recordBytes);
    } catch (IOException e) {
      return Optional.of(
          "unable to write its record in " + secondary.describe() + ": " + e.getMessage());
    }
    progress.accept(
        "copied backup "
            + m.kind().id()
            + " "
            + m.id()
            + " ("
            + record.parts().size()
            + " parts, "
            + partBytes
            + " bytes)");
    return Optional.empty();
  }

  private boolean removedMeanwhile(Missing m) {
    try {
      return primary.stat(m.record()).isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /** Copies the WAL objects the secondary lacks, oldest name first. */
  private int copyWal(List<String> failures) throws IOException {
    Set<ObjectKey> present = keys(secondary.list(Layout.WAL));
    int copied = 0;
    long walBytes = 0;
    for (ObjectInfo info : primary.list(Layout.WAL)) {
      if (present.contains(info.key())) {
        continue;
      }
      try {
        walBytes += copier.copy(info.key(), info.size(), null);
        copied++;
      } catch (ObjectNotFoundException e) {
        // removed by the primary's retention since the listing: nothing to copy
      } catch (IOException e) {
        failures.add(e.getMessage());
        LOG.error("{}", e.getMessage());
      }
    }
    if (copied > 0) {
      progress.accept("copied " + copied + " WAL objects (" + walBytes + " bytes)");
    }
    return copied;
  }

  private static Set<ObjectKey> keys(List<ObjectInfo> listing) {
    Set<ObjectKey> keys = new HashSet<>();
    for (ObjectInfo o : listing) {
      keys.add(o.key());
    }
    return keys;
  }
}
