package io.aido.backup.core.cli;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.pipeline.PartOutputStream;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.Map;
import org.slf4j.MDC;

/**
 * One backup that a job command writes, from {@link JobCommand#beginBackup} to {@link #commit}: the
 * one way the jobs write a backup, so every kind logs, counts and fails alike.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>from begin to {@link #close}, every log line of the command's thread carries MDC {@code
 *       backup_id} and {@code kind};
 *   <li>{@link #commit} writes the record and counts the backup in the run's metrics ({@link
 *       RunMetrics#backupCompleted}); a backup that is closed without a commit stays invisible;
 *   <li>every failure it makes names the backup ({@code "backup <id> of database 'todo'"}, the part
 *       when there is one) and says what is safe: "no record was written, earlier backups are
 *       untouched".
 * </ul>
 *
 * <pre>{@code
 * try (BackupRun run = beginBackup(repo, BackupKind.DB_BASE, source, kek, "base backup", "")) {
 *   try {
 *     run.writePart("base.tar", tar);
 *   } catch (IOException e) {
 *     throw run.failed(e);          // "base backup <id>: <why>; no record was written, ..."
 *   }
 *   BackupRecord record = run.commit(facts.toFacts());
 * }
 * }</pre>
 *
 * <p>Restriction: one thread; the MDC entries are the thread's.
 */
public final class BackupRun implements AutoCloseable {
  /** What a failed backup leaves: nothing that a restore or retention would see. */
  static final String SAFE = "no record was written, earlier backups are untouched";

  private final BackupWriter writer;
  private final BackupKind kind;
  private final String subject;
  private final RunMetrics metrics;
  private final MDC.MDCCloseable idContext;
  private final MDC.MDCCloseable kindContext;

  BackupRun(
      BackupWriter writer, BackupKind kind, String noun, String qualifier, RunMetrics metrics) {
    this.writer = writer;
    this.kind = kind;
    this.subject = noun + " " + writer.id() + (qualifier.isEmpty() ? "" : " " + qualifier);
    this.metrics = metrics;
    this.idContext = MDC.putCloseable("backup_id", writer.id().value());
    this.kindContext = MDC.putCloseable("kind", kind.id());
  }

  /** {@link Repository#begin}, as {@link JobCommand#beginBackup} documents it. */
  static BackupRun begin(
      Repository repo,
      BackupKind kind,
      Source source,
      KeyEncryptionKey kek,
      String noun,
      String qualifier,
      RunMetrics metrics)
      throws JobException {
    BackupWriter writer;
    try {
      writer = repo.begin(kind, source, kek);
    } catch (IOException | GeneralSecurityException e) {
      throw JobException.failed(
          "unable to start "
              + noun
              + (qualifier.isEmpty() ? "" : " " + qualifier)
              + ": "
              + e.getMessage(),
          e);
    }
    return new BackupRun(writer, kind, noun, qualifier, metrics);
  }

  public BackupId id() {
    return writer.id();
  }

  /** How messages name this backup, such as {@code "backup <id> of database 'todo'"}. */
  public String subject() {
    return subject;
  }

  /** {@link BackupWriter#writePart}. */
  public PartRecord writePart(String partName, InputStream source) throws IOException {
    return writer.writePart(partName, source);
  }

  /** {@link BackupWriter#openPart}. */
  public PartOutputStream openPart(String partName) throws IOException {
    return writer.openPart(partName);
  }

  /**
   * Writes the record, which makes the backup visible, and counts it in the run's metrics.
   *
   * @throws JobException {@link #failed(Exception) failed} when the record cannot be written
   */
  public BackupRecord commit(Map<String, Object> facts) throws JobException {
    BackupRecord record;
    try {
      record = writer.commit(facts);
    } catch (IOException e) {
      throw failed(e);
    }
    metrics.backupCompleted(kind, record.storedSize(), record.plaintextSize());
    return record;
  }

  /** "{@code <subject>}: {@code <why>}; no record was written, earlier backups are untouched". */
  public JobException failed(Exception cause) {
    return failed(message(cause), cause);
  }

  /**
   * "{@code <subject>} part {@code <part>}: {@code <why>}; no record was written, earlier backups
   * are untouched".
   */
  public JobException partFailed(String part, Exception cause) {
    return failure(part, message(cause), cause);
  }

  /**
   * "{@code <subject>}: {@code <message>}; no record was written, earlier backups are untouched";
   * the last clause is left out when {@code message} says it already.
   */
  public JobException failed(String message, Throwable cause) {
    return failure(null, message, cause);
  }

  /** Ends the backup; without a commit it stays invisible. Leaves the log context. */
  @Override
  public void close() throws IOException {
    try (idContext;
        kindContext) {
      writer.close();
    }
  }

  private JobException failure(String part, String message, Throwable cause) {
    String where = part == null ? subject : subject + " part " + part;
    String safe = message.contains("no record was written") ? "" : "; " + SAFE;
    return JobException.failed(where + ": " + message + safe, cause);
  }

  private static String message(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
