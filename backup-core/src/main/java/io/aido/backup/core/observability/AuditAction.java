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
  DELETE;

  /**
   * The name used in audit object names and JSON: {@code read}, {@code restore}, {@code delete}.
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
