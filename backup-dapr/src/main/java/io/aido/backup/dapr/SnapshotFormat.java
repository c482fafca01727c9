package io.aido.backup.dapr;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The snapshot format of one state store, version {@value #VERSION}: a length-prefixed record
 * stream, written as one part of a {@code dapr} backup (the pipeline compresses and encrypts it).
 *
 * <pre>
 * stream  = magic version header entry* end
 * magic   = "AIDO-DSS"                      8 bytes
 * version = u16                              {@value #VERSION}
 * header  = u32 length, UTF-8 JSON object    store, namespace, type, layout, table, takenAt
 * entry   = 'E'
 *           key      u32 length, bytes
 *           value    u32 length, bytes
 *           etag     i32 length (-1: none), UTF-8
 *           flags    u8                      bit 0: binary (PostgreSQL v1 isbinary)
 *           expires  i64 microseconds since 1970-01-01 UTC (Long.MIN_VALUE: none)
 *           created  i64 likewise
 *           updated  i64 likewise
 *           extras   u16 count, then per field: u16 length + UTF-8 name, u32 length + bytes
 * end     = 'Z' i64 number of entries
 * </pre>
 *
 * <p>All integers are big-endian. Guarantees: a reader refuses another magic, a newer version, a
 * stream that ends before {@code end} (truncated), and an {@code end} whose count differs from the
 * entries read. Lengths are bounded ({@value #MAX_VALUE_BYTES} bytes per value), so a damaged
 * length cannot make a reader allocate without limit. Times are kept to the microsecond, the
 * precision of PostgreSQL timestamps.
 *
 * <p>Why not tar: a state store is millions of tiny items; a tar header per item would be 512 bytes
 * of padding around a value of a few dozen, and the format must carry ETags and flags a tar entry
 * has no place for.
 */
public final class SnapshotFormat {
  /** The format version this code writes; readers accept it and older ones. */
  public static final int VERSION = 1;

  static final byte[] MAGIC = "AIDO-DSS".getBytes(StandardCharsets.US_ASCII);
  static final int MAX_VALUE_BYTES = 512 * 1024 * 1024;
  static final int MAX_HEADER_BYTES = 1024 * 1024;
  private static final int ENTRY = 'E';
  private static final int END = 'Z';
  private static final long NONE = Long.MIN_VALUE;
  private static final ObjectMapper JSON = new ObjectMapper();

  private SnapshotFormat() {}

  /** Writes one store's snapshot to a stream; {@link #finish()} writes the end record. */
  public static final class Writer implements AutoCloseable {
    private final DataOutputStream out;
    private long count;
    private boolean finished;

    /** Writes magic, version and {@code header} (JSON-shaped values, no secret). */
    public Writer(OutputStream sink, Map<String, Object> header) throws IOException {
      out = new DataOutputStream(new BufferedOutputStream(sink, 64 * 1024));
      out.write(MAGIC);
      out.writeShort(VERSION);
      byte[] h = JSON.writeValueAsBytes(header);
      out.writeInt(h.length);
      out.write(h);
    }

    public void write(StateEntry e) throws IOException {
      if (finished) {
        throw new IllegalStateException("snapshot already finished");
      }
      out.write(ENTRY);
      bytes(e.key());
      bytes(e.value());
      if (e.etag() == null) {
        out.writeInt(-1);
      } else {
        bytes(e.etag().getBytes(StandardCharsets.UTF_8));
      }
      out.write(e.binary() ? 1 : 0);
      out.writeLong(micros(e.expiresAt()));
      out.writeLong(micros(e.createdAt()));
      out.writeLong(micros(e.updatedAt()));
      out.writeShort(e.extraFields().size());
      for (Map.Entry<String, byte[]> f : e.extraFields().entrySet()) {
        byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
        out.writeShort(name.length);
        out.write(name);
        bytes(f.getValue());
      }
      count++;
    }

    /** Entries written so far. */
    public long count() {
      return count;
    }

    /** Writes the end record and flushes; the stream stays open. */
    public void finish() throws IOException {
      if (!finished) {
        out.write(END);
        out.writeLong(count);
        out.flush();
        finished = true;
      }
    }

    private void bytes(byte[] b) throws IOException {
      out.writeInt(b.length);
      out.write(b);
    }

    /** Flushes without the end record: a snapshot not finished reads as truncated. */
    @Override
    public void close() throws IOException {
      out.flush();
    }
  }

  /** Reads one store's snapshot. */
  public static final class Reader implements AutoCloseable {
    private final DataInputStream in;
    private final String name;
    private final Map<String, Object> header;
    private final int version;
    private long count;
    private boolean ended;

    /**
     * Reads magic, version and header.
     *
     * @param name what the stream is, for messages (the part name)
     * @throws IOException if the stream is not a snapshot, is of a newer version, or is truncated
     */
    public Reader(InputStream source, String name) throws IOException {
      this.in = new DataInputStream(new BufferedInputStream(source, 64 * 1024));
      this.name = name;
      byte[] magic = new byte[MAGIC.length];
      try {
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
          throw new IOException(name + " is not a Dapr state snapshot (wrong magic)");
        }
        version = in.readUnsignedShort();
        if (version > VERSION || version < 1) {
          throw new IOException(
              name
                  + " is a Dapr state snapshot of format "
                  + version
                  + "; this tool reads up to "
                  + VERSION);
        }
        int length = in.readInt();
        if (length < 0 || length > MAX_HEADER_BYTES) {
          throw new IOException(name + ": header length " + length + " is out of range");
        }
        byte[] h = new byte[length];
        in.readFully(h);
        header = JSON.readValue(h, new TypeReference<LinkedHashMap<String, Object>>() {});
      } catch (EOFException e) {
        throw truncated();
      }
    }

    public Map<String, Object> header() {
      return header;
    }

    public int version() {
      return version;
    }

    /**
     * The next entry, or {@code null} after the end record (whose count was checked).
     *
     * @throws IOException if the stream is truncated or damaged
     */
    public StateEntry next() throws IOException {
      if (ended) {
        return null;
      }
      try {
        int tag = in.read();
        if (tag == END) {
          long recorded = in.readLong();
          if (recorded != count) {
            throw new IOException(
                name + ": end record counts " + recorded + " entries, " + count + " were read");
          }
          ended = true;
          return null;
        }
        if (tag == -1) {
          throw truncated();
        }
        if (tag != ENTRY) {
          throw new IOException(name + ": unknown record type " + tag + " after entry " + count);
        }
        byte[] key = bytes();
        byte[] value = bytes();
        int etagLength = in.readInt();
        String etag = null;
        if (etagLength >= 0) {
          etag = new String(fixed(etagLength), StandardCharsets.UTF_8);
        } else if (etagLength != -1) {
          throw new IOException(name + ": bad ETag length " + etagLength);
        }
        boolean binary = (in.read() & 1) == 1;
        Instant expires = instant(in.readLong());
        Instant created = instant(in.readLong());
        Instant updated = instant(in.readLong());
        int extras = in.readUnsignedShort();
        Map<String, byte[]> fields = new TreeMap<>();
        for (int i = 0; i < extras; i++) {
          String fieldName = new String(fixed(in.readUnsignedShort()), StandardCharsets.UTF_8);
          fields.put(fieldName, bytes());
        }
        count++;
        return new StateEntry(key, value, etag, binary, expires, created, updated, fields);
      } catch (EOFException e) {
        throw truncated();
      }
    }

    /** Entries read so far. */
    public long count() {
      return count;
    }

    private byte[] bytes() throws IOException {
      return fixed(in.readInt());
    }

    private byte[] fixed(int length) throws IOException {
      if (length < 0 || length > MAX_VALUE_BYTES) {
        throw new IOException(
            name + ": length " + length + " is out of range after entry " + count);
      }
      byte[] b = new byte[length];
      in.readFully(b);
      return b;
    }

    private IOException truncated() {
      return new IOException(
          name + " is truncated: it ends after " + count + " entries without its end record");
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  static long micros(Instant t) {
    return t == null
        ? NONE
        : Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
  }

  static Instant instant(long micros) {
    return micros == NONE
        ? null
        : Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }
}
