package io.aido.backup.core.retention;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The minimal reader of verification results that retention needs, until job-verify defines the
 * full record. A result is a JSON object at {@code verify/<kind>/<backup-id>/<time>.json} with at
 * least a boolean field {@code ok}; other fields are ignored.
 *
 * <p>A backup counts as verified when its newest result (by object name, which sorts by time) says
 * {@code "ok": true}: a later failed verification withdraws an earlier success. A result that
 * cannot be parsed, or lacks {@code ok}, counts as not verified.
 */
public final class VerificationRecords {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_RESULT_BYTES = 1 << 20;

  private VerificationRecords() {}

  /**
   * Whether the backup's newest verification result is a success.
   *
   * @throws IOException if listing or reading fails
   */
  public static boolean verified(BlobReader reader, BackupKind kind, BackupId id)
      throws IOException {
    return verifiedAmong(reader, reader.list(Layout.verifyPrefix(kind, id))).contains(id);
  }

  /**
   * Every backup of {@code kind} whose newest verification result is a success, with one listing.
   *
   * @throws IOException if listing or reading fails
   */
  public static Set<BackupId> verifiedBackups(BlobReader reader, BackupKind kind)
      throws IOException {
    return verifiedAmong(reader, reader.list(Layout.VERIFY + kind.id() + "/"));
  }

  private static Set<BackupId> verifiedAmong(BlobReader reader, List<ObjectInfo> results)
      throws IOException {
    Map<BackupId, ObjectKey> newest = new HashMap<>();
    for (ObjectInfo info : results) {
      String[] segments = info.key().name().split("/");
      if (segments.length == 4 && segments[3].endsWith(".json") && BackupId.isValid(segments[2])) {
        newest.merge(new BackupId(segments[2]), info.key(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
      }
    }
    Set<BackupId> verified = new HashSet<>();
    for (Map.Entry<BackupId, ObjectKey> e : newest.entrySet()) {
      if (isOk(reader, e.getValue())) {
        verified.add(e.getKey());
      }
    }
    return verified;
  }

  private static boolean isOk(BlobReader reader, ObjectKey result) throws IOException {
    try (InputStream in = reader.open(result)) {
      JsonNode node = JSON.readTree(in.readNBytes(MAX_RESULT_BYTES));
      return node != null && node.path("ok").isBoolean() && node.path("ok").booleanValue();
    } catch (ObjectNotFoundException gone) {
      return false;
    } catch (JacksonException malformed) {
      return false;
    }
  }
}
