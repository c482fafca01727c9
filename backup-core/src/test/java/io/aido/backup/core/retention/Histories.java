package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Builds candidates for the retention tests. */
final class Histories {
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private Histories() {}

  /** A well-formed id for a backup at {@code time}; {@code n} keeps ids unique. */
  static BackupId id(Instant time, int n) {
    return new BackupId(ID_TIME.format(time) + "-" + String.format("%06x", n & 0xffffff));
  }

  static Candidate backup(Instant time, int n, boolean verified, boolean inUse) {
    return new Candidate(id(time, n), time, verified, inUse);
  }

  static Candidate backup(Instant time, int n) {
    return backup(time, n, false, false);
  }
}
