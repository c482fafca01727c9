package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.pipeline.PartResult;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.CorruptPartException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.repository.TamperedRecordException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.verification.VerificationResult;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The integrity level for one backup: every part exists with its stored size, then is read in full
 * through the pipeline (download, decrypt, decompress, plaintext size and SHA-256 against the
 * record) into a null sink, so memory stays bounded by the pipeline's buffers whatever the size.
 * Before any part, the record itself is authenticated ({@link Repository#reader}): an edited or
 * stripped record is a problem of the backup, and its parts are not read.
 *
 * <p>A bad backup is a result with problems, one line each ({@code backup ID (KIND) part NAME:
 * ...}); a key that does not unwrap the data key is a problem of the backup. A storage failure is
 * not a verdict on the backup and is thrown as {@link IOException}; neither is a key that cannot be
 * used at all (Cloud KMS unreachable or refusing), thrown as {@link KeyUnavailableException}.
 */
final class IntegrityCheck {
  private final Repository repository;
  private final KeyEncryptionKey kek;
  private final Clock clock;

  IntegrityCheck(Repository repository, KeyEncryptionKey kek, Clock clock) {
    this.repository = repository;
    this.kek = kek;
    this.clock = clock;
  }

  VerificationResult check(BackupRecord record) throws IOException, KeyUnavailableException {
    long started = System.nanoTime();
    String backup = "backup " + record.id() + " (" + record.kind() + ")";
    List<String> problems = new ArrayList<>();
    BackupReader reader = null;
    try {
      reader = repository.reader(record, kek);
    } catch (KeyUnavailableException e) {
      throw e;
    } catch (TamperedRecordException e) {
      problems.add(backup + ": " + e.problem() + "; its parts were not read");
    } catch (GeneralSecurityException e) {
      problems.add(backup + ": " + e.getMessage() + "; no part could be read");
    }
    long bytes = 0;
    for (PartRecord part : record.parts()) {
      String prefix = backup + " part " + part.name() + ": ";
      Optional<ObjectInfo> info = repository.store().stat(ObjectKey.of(part.object()));
      if (info.isEmpty()) {
        problems.add(
            prefix
                + "object '"
                + part.object()
                + "' is missing in "
                + repository.store().describe());
        continue;
      }
      if (info.get().size() != part.storedSize()) {
        problems.add(
            prefix
                + "object '"
                + part.object()
                + "' has "
                + info.get().size()
                + " bytes but the record says "
                + part.storedSize()
                + " (truncated, replaced or altered)");
        continue;
      }
      if (reader == null) {
        continue;
      }
      try {
        PartResult r = reader.readPart(part, OutputStream.nullOutputStream());
        bytes += r.storedSize();
      } catch (CorruptPartException e) {
        problems.add(prefix + problemOf(e));
      }
    }
    return new VerificationResult(
        record.id(),
        record.kind(),
        clock.instant(),
        VerificationResult.INTEGRITY,
        problems.isEmpty(),
        bytes,
        (System.nanoTime() - started) / 1_000_000,
        problems);
  }

  /** The exception's message without its "backup X part 'Y': " prefix, which the line has. */
  private static String problemOf(CorruptPartException e) {
    String prefix = "backup " + e.backup() + " part '" + e.part() + "': ";
    String m = e.getMessage();
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
