package io.aido.backup.core.config;

import io.aido.backup.core.catalog.BackupId;
import picocli.CommandLine.Option;

/**
 * The backup a command works on, {@code --backup-id ID|latest} ({@code BACKUP_BACKUP_ID}): a
 * picocli mixin of the commands that read one backup ({@code restore} of each job, {@code
 * extract}). The help text names the command: "The backup to restore (like
 * 20261124T020000Z-a1b2c3), or latest."
 *
 * <p>Guarantees: once {@link #validate} found no problem, the value is {@code latest} or a valid
 * backup id. Not set, or set to anything else, is a configuration problem (exit 2) before any work.
 *
 * <pre>{@code
 * @Mixin BackupIdOptions backupId;
 * BackupRecord record = backupId.latest() ? newest(...) : catalog.find(backupId.id()).orElseThrow(...);
 * }</pre>
 */
public final class BackupIdOptions implements ValidatedOptions {
  private static final String LATEST = "latest";

  @Option(
      names = "--backup-id",
      paramLabel = "ID|latest",
      description = "The backup to ${COMMAND-NAME} (like 20261124T020000Z-a1b2c3), or latest.")
  private String backupId;

  @Override
  public void validate(ConfigProblems problems) {
    if (backupId == null || backupId.isBlank()) {
      problems.add(EnvironmentDefaults.describe("--backup-id"), "not set (a backup id, or latest)");
    } else if (!backupId.equals(LATEST) && !BackupId.isValid(backupId)) {
      problems.add(
          EnvironmentDefaults.describe("--backup-id"),
          "'" + backupId + "' is neither latest nor a backup id like 20261124T020000Z-a1b2c3");
    }
  }

  /** Whether the newest backup is meant ({@code --backup-id latest}). */
  public boolean latest() {
    return LATEST.equals(backupId);
  }

  /**
   * The backup named.
   *
   * @throws IllegalStateException when {@link #latest()}
   */
  public BackupId id() {
    if (latest()) {
      throw new IllegalStateException("--backup-id latest names no backup id");
    }
    return new BackupId(backupId);
  }

  /** As given: {@code latest} or a backup id, as {@code Catalog.resolve} takes it. */
  public String value() {
    return backupId;
  }

  /** {@link #value()}, so that a message can name what was asked for. */
  @Override
  public String toString() {
    return backupId;
  }
}
