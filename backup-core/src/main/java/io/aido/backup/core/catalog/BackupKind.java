package io.aido.backup.core.catalog;

import java.util.Arrays;

/** What a backup holds; the kind is part of every object's name in the repository. */
public enum BackupKind {
  /** A logical dump of one database (pg_dump custom format) or the cluster's globals. */
  DB_LOGICAL("db-logical"),
  /** A physical base backup (pg_basebackup tar) for point-in-time recovery. */
  DB_BASE("db-base"),
  /** Dapr resources, state-store data and actor state. */
  DAPR("dapr"),
  /** Kubernetes manifests, encrypted Secrets and Helm release history. */
  MANIFESTS("manifests");

  private final String id;

  BackupKind(String id) {
    this.id = id;
  }

  /** The name used in the repository layout and on the command line. */
  public String id() {
    return id;
  }

  /**
   * The kind named {@code id}.
   *
   * @throws IllegalArgumentException naming the known kinds
   */
  public static BackupKind fromId(String id) {
    for (BackupKind k : values()) {
      if (k.id.equals(id)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown backup kind '"
            + id
            + "' (known: "
            + String.join(", ", Arrays.stream(values()).map(BackupKind::id).toList())
            + ")");
  }

  @Override
  public String toString() {
    return id;
  }
}
