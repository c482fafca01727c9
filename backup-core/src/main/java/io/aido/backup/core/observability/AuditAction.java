package io.aido.backup.core.observability;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What was done to a backup, as recorded in the audit log. */
public enum AuditAction {
  /** Backup data was read (verified, downloaded, inspected). */
  READ,
  /** A backup was restored into a live system. */
  RESTORE,
  /** A backup (or part of it) was deleted. */
  DELETE,
  /** A keyset file got a new primary key ({@code keyset rotate}). */
  ROTATE,
  /** A backup's or WAL object's data key was wrapped again by another key ({@code rewrap}). */
  REWRAP;

  /**
   * The name used in audit object names and JSON: {@code read}, {@code restore}, {@code delete},
   * {@code rotate}, {@code rewrap}.
   */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return id();
  }
}
