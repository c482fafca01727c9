package io.aido.backup.core.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.aido.backup.core.crypto.WrappedDataKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The record of one complete backup, stored as JSON at {@code catalog/<kind>/<id>.json} after every
 * part. Its presence is what makes a backup visible. Nothing ever rewrites it; verification results
 * live beside it.
 *
 * <p>It holds no secret: the data key is stored wrapped.
 *
 * <p>Sealed: a record written by this version carries a {@code seal}, an authentication tag over
 * its canonical content ({@link RecordJson#sealedContent}) made with the backup's data key, so only
 * the holder of the key-encryption key can write or edit a record that passes {@code verify} and
 * {@code restore} (see {@code io.aido.backup.core.repository.Repository#reader}). Records written
 * before sealing existed have none and stay readable.
 *
 * @param format the record format, {@value #FORMAT}
 * @param id the backup id
 * @param kind what it holds
 * @param source where it came from
 * @param toolVersion the version of the tool that wrote it
 * @param startedAt when the backup started
 * @param finishedAt when the last part was stored
 * @param status always {@code complete} for a committed record
 * @param parts every stored part, in order
 * @param encryption the wrapped data key that encrypts every part
 * @param facts kind-specific facts (row counts, LSNs, object counts), JSON-shaped
 * @param seal the record's authentication tag (base64), or null for a record written unsealed (by
 *     an earlier version, or not yet sealed)
 */
public record BackupRecord(
    int format,
    BackupId id,
    BackupKind kind,
    Source source,
    String toolVersion,
    Instant startedAt,
    Instant finishedAt,
    String status,
    List<PartRecord> parts,
    WrappedDataKey encryption,
    Map<String, Object> facts,
    @JsonInclude(JsonInclude.Include.NON_NULL) String seal) {

  /** The record format this version writes. */
  public static final int FORMAT = 1;

  /** The only status a committed record has. */
  public static final String COMPLETE = "complete";

  public BackupRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(finishedAt, "finishedAt");
    Objects.requireNonNull(encryption, "encryption");
    parts = List.copyOf(parts);
    facts = facts == null ? Map.of() : Map.copyOf(facts);
  }

  /** An unsealed record, as earlier versions wrote them and as a writer builds one to seal. */
  public BackupRecord(
      int format,
      BackupId id,
      BackupKind kind,
      Source source,
      String toolVersion,
      Instant startedAt,
      Instant finishedAt,
      String status,
      List<PartRecord> parts,
      WrappedDataKey encryption,
      Map<String, Object> facts) {
    this(
        format,
        id,
        kind,
        source,
        toolVersion,
        startedAt,
        finishedAt,
        status,
        parts,
        encryption,
        facts,
        null);
  }

  /** This record with {@code seal} (null: unsealed), everything else the same. */
  public BackupRecord withSeal(String seal) {
    return new BackupRecord(
        format,
        id,
        kind,
        source,
        toolVersion,
        startedAt,
        finishedAt,
        status,
        parts,
        encryption,
        facts,
        seal);
  }

  /**
   * This record with its data key wrapped anew (key rotation), unsealed: it must be sealed again.
   */
  public BackupRecord withEncryption(WrappedDataKey encryption) {
    return new BackupRecord(
        format,
        id,
        kind,
        source,
        toolVersion,
        startedAt,
        finishedAt,
        status,
        parts,
        encryption,
        facts,
        null);
  }

  /** The part named {@code name}. */
  public Optional<PartRecord> part(String name) {
    return parts.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** Stored bytes over all parts. */
  public long storedSize() {
    return parts.stream().mapToLong(PartRecord::storedSize).sum();
  }

  /** Plaintext bytes over all parts. */
  public long plaintextSize() {
    return parts.stream().mapToLong(PartRecord::plaintextSize).sum();
  }
}
