package io.aido.backup.dapr;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

/**
 * PostgreSQL's binary COPY format, for the few column types the state tables use: text, bytea,
 * boolean, timestamptz, uuid and jsonb. See the COPY page of the PostgreSQL manual ("Binary
 * Format"): a signature, flags and a header extension, then per row a field count and per field a
 * length (-1 for NULL) and the value in the type's binary send format; a field count of -1 ends it.
 */
final class PgBinaryCopy {
  private static final byte[] SIGNATURE = {
    'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0
  };

  /** Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
  private static final long PG_EPOCH_SECONDS = 946_684_800L;

  private static final int MAX_FIELD_BYTES = SnapshotFormat.MAX_VALUE_BYTES;

  private PgBinaryCopy() {}

  /** Reads rows from {@code COPY ... TO STDOUT (FORMAT binary)}. */
  static final class RowReader {
    private final DataInputStream in;
    private final int columns;

    RowReader(InputStream source, int columns) throws IOException {
      this.in = new DataInputStream(source);
      this.columns = columns;
      byte[] signature = new byte[SIGNATURE.length];
      in.readFully(signature);
      if (!Arrays.equals(signature, SIGNATURE)) {
        throw new IOException("COPY output does not start with the binary signature");
      }
      in.readInt(); // flags: no OIDs since PostgreSQL 12
      in.skipNBytes(in.readInt());
    }

    /** The next row's fields (null for SQL NULL), or {@code null} after the trailer. */
    byte[][] next() throws IOException {
      short count;
      try {
        count = in.readShort();
      } catch (EOFException e) {
        throw new IOException("COPY output ended without its trailer", e);
      }
      if (count == -1) {
        return null;
      }
      if (count != columns) {
        throw new IOException("COPY row has " + count + " fields, expected " + columns);
      }
      byte[][] row = new byte[columns][];
      for (int i = 0; i < columns; i++) {
        int length = in.readInt();
        if (length == -1) {
          continue;
        }
        if (length < 0 || length > MAX_FIELD_BYTES) {
          throw new IOException("COPY field length " + length + " is out of range");
        }
        row[i] = in.readNBytes(length);
        if (row[i].length != length) {
          throw new IOException("COPY output ended inside a row");
        }
      }
      return row;
    }
  }

  /** Writes rows for {@code COPY ... FROM STDIN (FORMAT binary)}. */
  static final class RowWriter {
    private final DataOutputStream out;

    RowWriter(OutputStream sink) throws IOException {
      this.out = new DataOutputStream(sink);
      out.write(SIGNATURE);
      out.writeInt(0);
      out.writeInt(0);
    }

    void row(byte[]... fields) throws IOException {
      out.writeShort(fields.length);
      for (byte[] f : fields) {
        if (f == null) {
          out.writeInt(-1);
        } else {
          out.writeInt(f.length);
          out.write(f);
        }
      }
    }

    void finish() throws IOException {
      out.writeShort(-1);
      out.flush();
    }
  }

  static String text(byte[] field) {
    return field == null ? null : new String(field, StandardCharsets.UTF_8);
  }

  static byte[] text(String value) {
    return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
  }

  static boolean bool(byte[] field) {
    return field != null && field.length == 1 && field[0] != 0;
  }

  static byte[] bool(boolean value) {
    return new byte[] {(byte) (value ? 1 : 0)};
  }

  /** timestamptz: microseconds since 2000-01-01 UTC. */
  static Instant timestamp(byte[] field) throws IOException {
    if (field == null) {
      return null;
    }
    if (field.length != 8) {
      throw new IOException("timestamptz field of " + field.length + " bytes");
    }
    long micros = java.nio.ByteBuffer.wrap(field).getLong();
    return Instant.ofEpochSecond(
        PG_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L),
        Math.floorMod(micros, 1_000_000L) * 1000L);
  }

  static byte[] timestamp(Instant t) {
    if (t == null) {
      return null;
    }
    long micros = (t.getEpochSecond() - PG_EPOCH_SECONDS) * 1_000_000L + t.getNano() / 1000;
    return java.nio.ByteBuffer.allocate(8).putLong(micros).array();
  }

  static byte[] uuid(UUID u) {
    return java.nio.ByteBuffer.allocate(16)
        .putLong(u.getMostSignificantBits())
        .putLong(u.getLeastSignificantBits())
        .array();
  }

  /** jsonb's binary format: version 1, then the JSON text. */
  static byte[] jsonb(byte[] jsonText) {
    byte[] b = new byte[jsonText.length + 1];
    b[0] = 1;
    System.arraycopy(jsonText, 0, b, 1, jsonText.length);
    return b;
  }
}
