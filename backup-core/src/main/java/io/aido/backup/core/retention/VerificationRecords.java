package io.aido.backup.core.retention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Comparator;
import java.util.List;

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
    List<ObjectInfo> results = reader.list(Layout.verifyPrefix(kind, id));
    ObjectInfo newest =
        results.stream()
            .filter(i -> i.key().name().endsWith(".json"))
            .max(Comparator.comparing(ObjectInfo::key))
            .orElse(null);
    if (newest == null) {
      return false;
    }
    try (InputStream in = reader.open(newest.key())) {
      JsonNode node = JSON.readTree(in.readNBytes(MAX_RESULT_BYTES));
      return node != null && node.path("ok").isBoolean() && node.path("ok").booleanValue();
    } catch (ObjectNotFoundException gone) {
      return false;
    } catch (com.fasterxml.jackson.core.JacksonException malformed) {
      return false;
    }
  }
}
