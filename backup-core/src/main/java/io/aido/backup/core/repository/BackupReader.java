package io.aido.backup.core.repository;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.pipeline.PartResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Reads the parts of one committed backup, checking each against its record (size and SHA-256): a
 * mismatch raises an error that names the backup and the part and says what is safe. TODO(pipeline
 * helper).
 */
public interface BackupReader {
  BackupRecord record();

  /** Reads a whole part into {@code sink} and checks it against the record. */
  PartResult readPart(PartRecord part, OutputStream sink) throws IOException;

  /**
   * The part's plaintext as a stream; the check against the record happens at end of stream, which
   * throws instead of returning -1 if the plaintext does not match.
   */
  InputStream openPart(PartRecord part) throws IOException;
}
