package io.aido.backup.core.wal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.aido.backup.core.crypto.WrappedDataKey;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * The plaintext header in front of every archived WAL object: what the object holds and the data
 * key that encrypts it, wrapped by the key-encryption key. Like a backup record it holds no secret,
 * so listing, verification and retention need no key.
 *
 * <p>On the wire: the eight bytes {@code AIDOWAL1}, the JSON's length as a big-endian int, the
 * JSON; the encrypted segment follows.
 *
 * @param format 1
 * @param segment the segment's file name
 * @param segmentSize the cluster's WAL segment size
 * @param validBytes the bytes of the segment held (less than the segment size if partial)
 * @param plaintextSha256 hex SHA-256 of those bytes
 * @param systemIdentifier the cluster's system identifier, so archives of two clusters never mix
 * @param archivedAt when the object was stored
 * @param key the data key, wrapped
 */
public record WalHeader(
    int format,
    String segment,
    long segmentSize,
    long validBytes,
    String plaintextSha256,
    String systemIdentifier,
    Instant archivedAt,
    WrappedDataKey key) {
  public static final int FORMAT = 1;
  private static final byte[] MAGIC = "AIDOWAL1".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_JSON = 64 * 1024;
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The header as it is stored. */
  public byte[] encode() {
    try {
      byte[] json = MAPPER.writeValueAsBytes(this);
      ByteArrayOutputStream out = new ByteArrayOutputStream(json.length + 12);
      out.write(MAGIC);
      out.write(ByteBuffer.allocate(4).putInt(json.length).array());
      out.write(json);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("unable to write a WAL header", e);
    }
  }

  /**
   * Reads a header from the start of {@code in}, leaving {@code in} at the first encrypted byte.
   *
   * @param origin names the object in messages
   * @throws IOException if it is not a WAL object of a format this version reads
   */
  public static WalHeader read(InputStream in, String origin) throws IOException {
    return readFramed(in, origin).header();
  }

  /**
   * A header and the bytes it takes in front of the encrypted segment.
   *
   * @param header the header
   * @param length bytes from the object's start to the first encrypted byte
   */
  public record Framed(WalHeader header, int length) {}

  /** Like {@link #read}, also telling where the encrypted segment starts. */
  public static Framed readFramed(InputStream in, String origin) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] magic = new byte[MAGIC.length];
    int length;
    try {
      data.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IOException(
            "'" + origin + "' is not an archived WAL object (no AIDOWAL1 header)");
      }
      length = data.readInt();
    } catch (EOFException e) {
      throw new IOException("'" + origin + "' is too short for an archived WAL object", e);
    }
    if (length <= 0 || length > MAX_JSON) {
      throw new IOException("'" + origin + "' has a WAL header of " + length + " bytes");
    }
    byte[] json = new byte[length];
    try {
      data.readFully(json);
    } catch (EOFException e) {
      throw new IOException("'" + origin + "' ends inside its WAL header", e);
    }
    WalHeader h;
    try {
      h = MAPPER.readValue(json, WalHeader.class);
    } catch (IOException e) {
      throw new IOException(
          "unable to read the WAL header of '" + origin + "': " + e.getMessage(), e);
    }
    if (h.format() > FORMAT) {
      throw new IOException(
          "'" + origin + "' has WAL format " + h.format() + "; this version reads " + FORMAT);
    }
    return new Framed(h, MAGIC.length + 4 + length);
  }
}
