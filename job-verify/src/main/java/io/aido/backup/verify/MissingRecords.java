package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds backups whose record was deleted: data parts under {@code data/<kind>/<id>/} with no record
 * (readable or not), but with verification results under {@code verify/<kind>/<id>/}. A result is
 * only ever written for a backup whose record existed, so such parts are no upload in flight and no
 * leftover of a run killed before its record: the record was there and is gone.
 *
 * <p>Restrictions: parts without a record and without any result are not reported, since that is
 * exactly what a run killed before its commit leaves (and a backup still being written); so a
 * record deleted before its backup was first verified, or deleted together with its results, goes
 * unseen here, and so does a backup deleted whole. Retention removes a backup's results before its
 * record, so an interrupted removal is not reported; its leftover sweep removes such parts after
 * the grace period, evidence included.
 */
final class MissingRecords {
  private MissingRecords() {}

  /**
   * One problem line per backup of {@code kind} (null: every kind) whose record is missing.
   *
   * @param listing the catalog as this run scanned it
   * @throws IOException if listing the store fails
   */
  static List<String> problems(BlobReader store, BackupKind kind, Catalog.Listing listing)
      throws IOException {
    Set<String> recorded = new HashSet<>();
    listing.records().forEach(r -> recorded.add(r.kind().id() + "/" + r.id()));
    listing.unreadable().forEach(u -> recorded.add(nameOf(u.key().name(), Layout.CATALOG)));
    Map<String, Integer> parts = new TreeMap<>();
    for (ObjectInfo o : store.list(kind == null ? Layout.DATA : Layout.DATA + kind.id() + "/")) {
      String backup = backupOf(o.key().name());
      if (backup != null && !recorded.contains(backup)) {
        parts.merge(backup, 1, Integer::sum);
      }
    }
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Integer> e : parts.entrySet()) {
      String[] kindAndId = e.getKey().split("/");
      BackupKind k = BackupKind.fromId(kindAndId[0]);
      BackupId id = new BackupId(kindAndId[1]);
      int results = store.list(Layout.verifyPrefix(k, id)).size();
      if (results > 0) {
        problems.add(
            "backup "
                + id
                + " ("
                + k
                + "): record deleted: "
                + e.getValue()
                + " part(s) under '"
                + Layout.dataPrefix(k, id)
                + "' and "
                + results
                + " verification result(s) but no record '"
                + Layout.record(k, id)
                + "'; it was verified, so it had been committed (not a run killed before its"
                + " commit); it can no longer be listed or restored");
      }
    }
    return problems;
  }

  /** {@code <kind>/<id>} of a data object named like one of a backup, else null. */
  private static String backupOf(String name) {
    String[] segments = name.split("/", 4);
    if (segments.length != 4 || !BackupId.isValid(segments[2]) || !isKind(segments[1])) {
      return null;
    }
    return segments[1] + "/" + segments[2];
  }

  /** {@code <kind>/<id>} of a record object {@code catalog/<kind>/<id>.json}. */
  private static String nameOf(String record, String prefix) {
    String rest = record.substring(prefix.length());
    return rest.endsWith(".json") ? rest.substring(0, rest.length() - ".json".length()) : rest;
  }

  private static boolean isKind(String id) {
    for (BackupKind k : BackupKind.values()) {
      if (k.id().equals(id)) {
        return true;
      }
    }
    return false;
  }
}
