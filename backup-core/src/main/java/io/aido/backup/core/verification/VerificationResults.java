package io.aido.backup.core.verification;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes verification results and reads the newest one of each backup. The one reader of {@code
 * verify/}: retention's {@link io.aido.backup.core.retention.VerificationRecords} asks it too.
 *
 * <p>Guarantees: {@link #write} is create-only ({@link BlobStore#create}), so no result is ever
 * edited; a second result for the same backup and millisecond fails with {@link
 * io.aido.backup.core.storage.ObjectExistsException}. "Newest" is by object name, which sorts by
 * time. Reading is lenient about everything but {@code ok}: a result that cannot be parsed, or
 * whose {@code ok} is missing or not a JSON boolean, reads as a failed result (never as a success),
 * so a damaged result file withdraws verification rather than granting it.
 *
 * <pre>{@code
 * VerificationResults.write(store, result);
 * Map<BackupId, VerificationResult> newest = VerificationResults.newest(store, BackupKind.DAPR);
 * }</pre>
 */
public final class VerificationResults {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int MAX_RESULT_BYTES = 1 << 20;
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

  private VerificationResults() {}

  /**
   * Stores {@code result} at {@link Layout#verification}, create-only.
   *
   * @return the object written
   * @throws IOException if the store fails or a result with that name exists
   */
  public static ObjectKey write(BlobStore store, VerificationResult result) throws IOException {
    ObjectKey key = Layout.verification(result.kind(), result.backupId(), result.checkedAt());
    store.create(key, new ByteArrayInputStream(toJson(result)));
    return key;
  }

  /** The result as UTF-8 JSON, fields in declaration order after {@code format}. */
  public static byte[] toJson(VerificationResult r) {
    ObjectNode node = JSON.createObjectNode();
    node.put("format", VerificationResult.FORMAT);
    node.put("backupId", r.backupId().value());
    node.put("kind", r.kind().id());
    node.put("checkedAt", r.checkedAt().toString());
    node.put("level", r.level());
    node.put("ok", r.ok());
    node.put("bytesChecked", r.bytesChecked());
    node.put("durationMillis", r.durationMillis());
    ArrayNode problems = node.putArray("problems");
    r.problems().forEach(problems::add);
    if (r.restoreMillis() != null) {
      node.put("restoreMillis", r.restoreMillis());
    }
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JacksonException e) {
      throw new IllegalStateException("unable to write a verification result as JSON", e);
    }
  }

  /**
   * The newest result of each backup of {@code kind} that has one, with one listing.
   *
   * @throws IOException if listing or reading fails
   */
  public static Map<BackupId, VerificationResult> newest(BlobReader reader, BackupKind kind)
      throws IOException {
    return newestAmong(reader, kind, reader.list(Layout.VERIFY + kind.id() + "/"));
  }

  /**
   * The newest result of one backup.
   *
   * @throws IOException if listing or reading fails
   */
  public static Optional<VerificationResult> newest(BlobReader reader, BackupKind kind, BackupId id)
      throws IOException {
    return Optional.ofNullable(
        newestAmong(reader, kind, reader.list(Layout.verifyPrefix(kind, id))).get(id));
  }

  private static Map<BackupId, VerificationResult> newestAmong(
      BlobReader reader, BackupKind kind, List<ObjectInfo> results) throws IOException {
    Map<BackupId, ObjectKey> newest = new HashMap<>();
    for (ObjectInfo info : results) {
      String[] segments = info.key().name().split("/");
      if (segments.length == 4 && segments[3].endsWith(".json") && BackupId.isValid(segments[2])) {
        newest.merge(new BackupId(segments[2]), info.key(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
      }
    }
    Map<BackupId, VerificationResult> read = new HashMap<>();
    for (Map.Entry<BackupId, ObjectKey> e : newest.entrySet()) {
      read(reader, kind, e.getKey(), e.getValue()).ifPresent(r -> read.put(e.getKey(), r));
    }
    return read;
  }

  private static Optional<VerificationResult> read(
      BlobReader reader, BackupKind kind, BackupId id, ObjectKey key) throws IOException {
    Instant named = timeOf(key);
    JsonNode node;
    try (InputStream in = reader.open(key)) {
      node = JSON.readTree(in.readNBytes(MAX_RESULT_BYTES));
    } catch (ObjectNotFoundException gone) {
      // removed with its backup between list and read
      return Optional.empty();
    } catch (JacksonException malformed) {
      return Optional.of(unreadable(kind, id, named, key, "not valid JSON"));
    }
    if (node == null || !node.isObject()) {
      return Optional.of(unreadable(kind, id, named, key, "not a JSON object"));
    }
    JsonNode ok = node.path("ok");
    if (!ok.isBoolean()) {
      return Optional.of(unreadable(kind, id, named, key, "no boolean 'ok'"));
    }
    Instant checkedAt = named;
    if (node.path("checkedAt").isTextual()) {
      try {
        checkedAt = Instant.parse(node.path("checkedAt").asText());
      } catch (DateTimeParseException e) {
        // the name's time stands in for an unparseable field
      }
    }
    List<String> problems = new ArrayList<>();
    node.path("problems").forEach(p -> problems.add(p.asText()));
    return Optional.of(
        new VerificationResult(
            id,
            kind,
            checkedAt,
            node.path("level").asText(VerificationResult.INTEGRITY),
            ok.booleanValue(),
            node.path("bytesChecked").asLong(0),
            node.path("durationMillis").asLong(0),
            problems,
            node.path("restoreMillis").isNumber() ? node.path("restoreMillis").asLong() : null));
  }

  private static VerificationResult unreadable(
      BackupKind kind, BackupId id, Instant at, ObjectKey key, String why) {
    return new VerificationResult(
        id,
        kind,
        at,
        VerificationResult.INTEGRITY,
        false,
        0,
        0,
        List.of("verification result '" + key + "' is unreadable: " + why));
  }

  /** The time in the object's name; the epoch when the name does not carry one. */
  private static Instant timeOf(ObjectKey key) {
    String file = key.name().substring(key.name().lastIndexOf('/') + 1);
    try {
      return Instant.from(STAMP.parse(file.substring(0, file.length() - ".json".length())));
    } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
      return Instant.EPOCH;
    }
  }
}
