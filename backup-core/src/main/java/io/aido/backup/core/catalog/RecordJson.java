package io.aido.backup.core.catalog;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The JSON form of {@link BackupRecord} and {@link RepositoryFormat}.
 *
 * <p>Guarantees: times are ISO-8601 instants ({@code 2026-11-24T02:00:00Z}); ids and kinds are
 * plain strings ({@code "20261124T020000Z-a1b2c3"}, {@code "db-logical"}); fields come in the
 * records' declaration order and facts sorted by key, so the same record always gives the same
 * bytes. Reading ignores fields it does not know, so records written by a later version of the same
 * format stay readable.
 *
 * <p>Restrictions: a record whose {@code format} is newer than {@link BackupRecord#FORMAT} (or a
 * repository newer than {@link Layout#REPOSITORY_FORMAT}) is refused with {@link
 * UnsupportedFormatException}: fields might have changed meaning, and guessing could restore the
 * wrong thing. Input is limited to {@value #MAX_BYTES} bytes.
 *
 * <pre>{@code
 * byte[] json = RecordJson.write(record);
 * BackupRecord again = RecordJson.read(new ByteArrayInputStream(json), "catalog/dapr/ID.json");
 * }</pre>
 */
public final class RecordJson {
  /** Records are small; anything larger is not one of ours. */
  public static final int MAX_BYTES = 16 * 1024 * 1024;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .addModule(ids())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
          .build();

  /** The canonical form: compact, every object's fields sorted by name. */
  private static final ObjectMapper CANONICAL =
      JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

  /** The field that holds a record's seal, left out of what the seal covers. */
  public static final String SEAL_FIELD = "seal";

  private RecordJson() {}

  /**
   * What a record's seal covers: the record's JSON as stored, without its {@code seal} field, in a
   * canonical form (compact, every object's fields sorted by name, numbers as parsed). Fields this
   * version does not know are covered too, so a record a later version sealed checks here.
   *
   * <pre>{@code
   * byte[] covered = RecordJson.sealedContent(storedBytes, key.name());
   * }</pre>
   *
   * @param json a record as stored (or as {@link #write(BackupRecord)} gives it)
   * @param origin what is being read, for messages
   * @throws IOException if {@code json} is not a JSON object
   */
  public static byte[] sealedContent(byte[] json, String origin) throws IOException {
    JsonNode tree = tree(new ByteArrayInputStream(json), origin);
    ((ObjectNode) tree).remove(SEAL_FIELD);
    Object plain = CANONICAL.treeToValue(tree, Object.class);
    return CANONICAL.writeValueAsBytes(plain);
  }

  /** The seal marker as UTF-8 JSON. */
  public static byte[] write(SealMarker marker) {
    return bytes(marker);
  }

  /**
   * Reads the seal marker ({@link Layout#sealMarker()}).
   *
   * @throws IOException if it is not a readable marker
   */
  public static SealMarker readSealMarker(InputStream in, String origin) throws IOException {
    JsonNode tree = tree(in, origin);
    checkFormat(tree, origin, "seal marker", SealMarker.FORMAT);
    return convert(tree, SealMarker.class, origin, "seal marker");
  }

  /** The record as UTF-8 JSON. */
  public static byte[] write(BackupRecord record) {
    return bytes(record);
  }

  /** The repository format as UTF-8 JSON. */
  public static byte[] write(RepositoryFormat format) {
    return bytes(format);
  }

  /**
   * Reads a record.
   *
   * @param origin what is being read, for messages (the object name)
   * @throws UnsupportedFormatException if its format is newer than this tool's
   * @throws IOException if it is not a readable record, naming {@code origin} and the problem
   */
  public static BackupRecord read(InputStream in, String origin) throws IOException {
    JsonNode tree = tree(in, origin);
    checkFormat(tree, origin, "backup record", BackupRecord.FORMAT);
    return convert(tree, BackupRecord.class, origin, "backup record");
  }

  /**
   * Reads {@code format.json}.
   *
   * @throws UnsupportedFormatException if the repository is newer than this tool
   * @throws IOException if it is not a readable format file
   */
  public static RepositoryFormat readFormat(InputStream in, String origin) throws IOException {
    JsonNode tree = tree(in, origin);
    checkFormat(tree, origin, "repository", Layout.REPOSITORY_FORMAT);
    return convert(tree, RepositoryFormat.class, origin, "repository format file");
  }

  private static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("unable to write JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static JsonNode tree(InputStream in, String origin) throws IOException {
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) {
      throw new IOException(
          "unable to read '" + origin + "': larger than " + MAX_BYTES + " bytes, not a record");
    }
    try {
      JsonNode tree = MAPPER.readTree(bytes);
      if (tree == null || !tree.isObject()) {
        throw new IOException("unable to read '" + origin + "': not a JSON object");
      }
      return tree;
    } catch (JsonProcessingException e) {
      throw new IOException(
          "unable to read '" + origin + "': not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static void checkFormat(JsonNode tree, String origin, String what, int known)
      throws IOException {
    JsonNode format = tree.get("format");
    if (format == null || !format.canConvertToInt()) {
      throw new IOException("unable to read '" + origin + "': no format number, not a " + what);
    }
    if (format.intValue() > known) {
      throw new UnsupportedFormatException(what + " '" + origin + "'", format.intValue(), known);
    }
    if (format.intValue() < 1) {
      throw new IOException(
          "unable to read '" + origin + "': format " + format.intValue() + " does not exist");
    }
  }

  private static <T> T convert(JsonNode tree, Class<T> type, String origin, String what)
      throws IOException {
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String detail =
          e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new IOException("unable to read '" + origin + "' as a " + what + ": " + detail, e);
    }
  }

  private static SimpleModule ids() {
    SimpleModule m = new SimpleModule("aido-backup-ids");
    m.addSerializer(
        BackupId.class,
        new JsonSerializer<>() {
          @Override
          public void serialize(BackupId id, JsonGenerator g, SerializerProvider p)
              throws IOException {
            g.writeString(id.value());
          }
        });
    m.addDeserializer(
        BackupId.class,
        new JsonDeserializer<>() {
          @Override
          public BackupId deserialize(JsonParser p, DeserializationContext c) throws IOException {
            return new BackupId(p.getValueAsString());
          }
        });
    m.addSerializer(
        BackupKind.class,
        new JsonSerializer<>() {
          @Override
          public void serialize(BackupKind kind, JsonGenerator g, SerializerProvider p)
              throws IOException {
            g.writeString(kind.id());
          }
        });
    m.addDeserializer(
        BackupKind.class,
        new JsonDeserializer<>() {
          @Override
          public BackupKind deserialize(JsonParser p, DeserializationContext c) throws IOException {
            return BackupKind.fromId(p.getValueAsString());
          }
        });
    return m;
  }
}
