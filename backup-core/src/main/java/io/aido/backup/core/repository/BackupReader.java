package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.pipeline.PartResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reads the parts of one committed backup, checking each against its record (size and SHA-256).
 *
 * <p>Errors: a part that is missing, tampered, truncated, renamed, or differs from its record
 * raises {@link CorruptPartException} naming the backup and the part and saying what is safe; a
 * storage failure raises a plain {@link IOException} (the backup may be fine: retry).
 *
 * <pre>{@code
 * BackupReader reader = repo.reader(record, kek);
 * try (InputStream in = reader.openPart(record.part("todo.dump").orElseThrow())) {
 *   in.transferTo(pgRestore.getOutputStream());
 * }
 * }</pre>
 */
public interface BackupReader {
  BackupRecord record();

  /**
   * Checks, without reading any data, that every part's object exists and has the stored size the
   * record names. Restores call it before they touch their target, so a backup that {@code verify}
   * would refuse for a missing or resized object is refused before anything is written.
   *
   * @throws CorruptPartException naming the first part that is missing or differs in size
   * @throws IOException if the store cannot be asked (the backup may be fine: retry)
   */
  void checkStoredParts() throws IOException;

  /**
   * Reads the whole part and checks it (authentication of every segment, plaintext size and
   * SHA-256, stored size) without keeping anything. A restore that cannot undo its writes (a
   * Kubernetes apply, a Redis store, several stores one after the other) calls it for each part
   * before its first write, so a backup tampered at its end is refused before anything is written,
   * not after a part of it was applied.
   *
   * @throws CorruptPartException naming the part and what differs; the message says nothing was
   *     restored
   * @throws IOException if the store fails (the backup may be fine: retry)
   */
  void checkPart(PartRecord part) throws IOException;

  /**
   * Reads a whole part into {@code sink} and checks it against the record. Does not close {@code
   * sink}; on failure, what reached it is incomplete or wrong and must be discarded.
   *
   * @throws IllegalArgumentException if {@code part} is not one of the record's parts
   */
  PartResult readPart(PartRecord part, OutputStream sink) throws IOException;

  /**
   * The part's plaintext as a stream; the check against the record happens at end of stream, which
   * throws instead of returning -1 if the plaintext does not match, and a stream longer than
   * recorded throws before releasing the extra bytes.
   *
   * @throws IllegalArgumentException if {@code part} is not one of the record's parts
   */
  InputStream openPart(PartRecord part) throws IOException;
}
