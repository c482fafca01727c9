package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import java.util.Objects;

/**
 * The group a retention policy is applied to: one kind of backup of one source.
 *
 * @param kind what the backups hold
 * @param source the source's {@link io.aido.backup.core.catalog.Source#key() key}
 */
public record GroupKey(BackupKind kind, String source) implements Comparable<GroupKey> {

  public GroupKey {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(source, "source");
  }

  /** The group {@code record} belongs to. */
  public static GroupKey of(BackupRecord record) {
    return new GroupKey(record.kind(), record.source().key());
  }

  @Override
  public int compareTo(GroupKey o) {
    int c = kind.compareTo(o.kind);
    return c != 0 ? c : source.compareTo(o.source);
  }

  @Override
  public String toString() {
    return kind.id() + " " + source;
  }
}
