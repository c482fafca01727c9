package io.aido.backup.postgres;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a custom-format dump ({@code pg_dump -Fc}) into a file and writes into its table of
 * contents where each entry's data starts.
 *
 * <p>Why: {@code pg_dump -Fc} writing to a pipe (as {@code backup} runs it) cannot go back to fill
 * in the data offsets, so every entry says "position not set". {@code pg_restore --jobs} then makes
 * each worker scan the archive from the start of the data, chunk by chunk (with {@code -Z0} one
 * chunk per row), to find its table: at 13 million rows that took four times as long as a restore
 * of the same dump written to a file (docs/benchmarks.md). This class learns each data block's
 * position while the bytes go by and writes it into the entry's offset field (flag {@code
 * K_OFFSET_POS_SET} and {@code offSize} little-endian bytes), exactly as {@code pg_dump} does when
 * it writes to a seekable file. Nothing else changes; the file is then what {@code pg_dump -Fc -f}
 * would have written.
 *
 * <p>Restrictions: archive versions 1.12 to 1.16 (pg_dump 9.5 to 17) are understood. Anything else
 * (another version, a structure that does not parse) is copied unchanged and reported as not
 * patched: pg_restore still reads it, only more slowly. The copy is byte for byte either way.
 *
 * <p>Layout used (PostgreSQL's {@code pg_backup_archiver.c}, {@code pg_backup_custom.c}): a header
 * ({@code PGDMP}, version, int and offset sizes, format, compression, creation time, names), then
 * the entries (ids, strings, dependencies, then the offset field), then data blocks: a type byte (1
 * table data, 3 large objects), the dump id, and length-prefixed chunks ending in a zero length
 * (large objects: an oid before each object's chunks, a zero oid at the end). An int is a sign byte
 * and {@code intSize} little-endian bytes; a string is an int length ({@code -1} for null) and the
 * bytes.
 */
public final class CustomDumpOffsets {
  private static final Logger LOG = LoggerFactory.getLogger(CustomDumpOffsets.class);

  private static final int K_OFFSET_POS_NOT_SET = 1;
  private static final int K_OFFSET_POS_SET = 2;
  private static final int K_OFFSET_NO_DATA = 3;
  private static final int BLK_DATA = 1;
  private static final int BLK_BLOBS = 3;
  private static final int MIN_VERSION = version(1, 12, 0);
  private static final int MAX_VERSION = version(1, 16, 0);
  private static final int V_1_14 = version(1, 14, 0);
  private static final int V_1_15 = version(1, 15, 0);
  private static final int V_1_16 = version(1, 16, 0);

  private CustomDumpOffsets() {}

  /**
   * The copy's outcome.
   *
   * @param bytes bytes copied
   * @param patched whether the table of contents was understood and offsets written
   * @param offsets the number of entries whose offset was written
   */
  public record Result(long bytes, boolean patched, int offsets) {}

  /**
   * Copies {@code in} to the start of {@code out} (an empty file) and patches the offsets.
   *
   * @throws IOException if reading {@code in} or writing {@code out} fails (what {@code out} holds
   *     is then unusable)
   */
  public static Result copy(InputStream in, FileChannel out) throws IOException {
    Tee tee = new Tee(new BufferedInputStream(in, 1 << 16), out);
    Map<Integer, Long> offsetFields = new HashMap<>();
    Map<Integer, Long> blocks = new HashMap<>();
    int offSize;
    try {
      offSize = parse(tee, offsetFields, blocks);
    } catch (Unparseable e) {
      LOG.info("the dump's table of contents was not understood ({}); copied as it is", e.reason);
      tee.drain();
      tee.flush();
      return new Result(tee.position, false, 0);
    }
    tee.flush();
    int written = 0;
    for (Map.Entry<Integer, Long> field : offsetFields.entrySet()) {
      Long block = blocks.get(field.getKey());
      if (block == null || (offSize < 8 && block >= 1L << (8 * offSize))) {
        continue;
      }
      ByteBuffer b = ByteBuffer.allocate(1 + offSize);
      b.put((byte) K_OFFSET_POS_SET);
      for (int i = 0; i < offSize; i++) {
        b.put(i < 8 ? (byte) (block >>> (8 * i)) : 0);
      }
      b.flip();
      long at = field.getValue();
      while (b.hasRemaining()) {
        at += out.write(b, at);
      }
      written++;
    }
    return new Result(tee.position, true, written);
  }

  /** Reads the whole archive through {@code tee}; returns the offset size. */
  private static int parse(Tee tee, Map<Integer, Long> offsetFields, Map<Integer, Long> blocks)
      throws IOException, Unparseable {
    Header header = header(tee);
    long entries = header.ints().read(tee);
    if (entries < 0 || entries > 100_000_000) {
      throw new Unparseable("entry count " + entries);
    }
    for (long e = 0; e < entries; e++) {
      entry(tee, header, offsetFields);
    }
    dataBlocks(tee, header.ints(), blocks);
    return header.offSize();
  }

  /** What the archive header says about how the rest is written. */
  private record Header(int version, Ints ints, int offSize) {}

  private static Header header(Tee tee) throws IOException, Unparseable {
    byte[] magic = new byte[5];
    for (int i = 0; i < 5; i++) {
      magic[i] = (byte) tee.readByte();
    }
    if (!"PGDMP".equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
      throw new Unparseable("no PGDMP header");
    }
    int version = version(tee.readByte(), tee.readByte(), tee.readByte());
    if (version < MIN_VERSION || version > MAX_VERSION) {
      throw new Unparseable("archive version " + (version >> 16) + "." + ((version >> 8) & 0xff));
    }
    Ints ints = new Ints(tee.readByte());
    int offSize = tee.readByte();
    int format = tee.readByte();
    if (ints.size < 1 || ints.size > 8 || offSize < 1 || offSize > 16 || format != 1) {
      throw new Unparseable("int size " + ints.size + ", offset size " + offSize);
    }
    if (version >= V_1_15) {
      tee.readByte();
    } else {
      ints.read(tee);
    }
    for (int i = 0; i < 7; i++) {
      ints.read(tee); // creation time
    }
    skipString(tee, ints); // database name
    skipString(tee, ints); // server version
    skipString(tee, ints); // pg_dump version
    return new Header(version, ints, offSize);
  }

  /** One table-of-contents entry; remembers where its data offset is when it is not set yet. */
  private static void entry(Tee tee, Header header, Map<Integer, Long> offsetFields)
      throws IOException, Unparseable {
    Ints ints = header.ints();
    long dumpId = ints.read(tee);
    if (dumpId <= 0 || dumpId > Integer.MAX_VALUE) {
      throw new Unparseable("entry id " + dumpId);
    }
    ints.read(tee); // had a data dumper
    for (int s = 0; s < 4; s++) {
      skipString(tee, ints); // table oid, oid, tag, description
    }
    ints.read(tee); // section
    for (int s = 0; s < 5; s++) {
      skipString(tee, ints); // definition, drop, copy, namespace, tablespace
    }
    if (header.version() >= V_1_14) {
      skipString(tee, ints); // table access method
    }
    if (header.version() >= V_1_16) {
      ints.read(tee); // relkind
    }
    skipString(tee, ints); // owner
    skipString(tee, ints); // with oids
    while (skipString(tee, ints) >= 0) {
      // dependencies, up to a null string
    }
    long field = tee.position;
    int flag = tee.readByte();
    if (flag != K_OFFSET_POS_NOT_SET && flag != K_OFFSET_POS_SET && flag != K_OFFSET_NO_DATA) {
      throw new Unparseable("offset flag " + flag);
    }
    tee.copy(header.offSize());
    if (flag == K_OFFSET_POS_NOT_SET) {
      offsetFields.put((int) dumpId, field);
    }
  }

  /** The data blocks after the table of contents, each one's start by dump id. */
  private static void dataBlocks(Tee tee, Ints ints, Map<Integer, Long> blocks)
      throws IOException, Unparseable {
    while (true) {
      long start = tee.position;
      int type = tee.readByteOrEnd();
      if (type < 0) {
        return;
      }
      long id = ints.read(tee);
      if (type == BLK_DATA) {
        skipChunks(tee, ints);
      } else if (type == BLK_BLOBS) {
        while (ints.read(tee) != 0) {
          skipChunks(tee, ints);
        }
      } else {
        throw new Unparseable("block type " + type + " at byte " + start);
      }
      blocks.put((int) id, start);
    }
  }

  private static void skipChunks(Tee tee, Ints ints) throws IOException, Unparseable {
    long length;
    while ((length = ints.read(tee)) != 0) {
      if (length < 0) {
        throw new Unparseable("chunk length " + length);
      }
      tee.copy(length);
    }
  }

  /** Returns the string's length, -1 for null. */
  private static long skipString(Tee tee, Ints ints) throws IOException, Unparseable {
    long length = ints.read(tee);
    if (length < -1 || length > Integer.MAX_VALUE) {
      throw new Unparseable("string length " + length);
    }
    if (length > 0) {
      tee.copy(length);
    }
    return length;
  }

  private static int version(int major, int minor, int revision) {
    return (major << 16) | (minor << 8) | revision;
  }

  /** The archive's integers: a sign byte and {@code size} little-endian bytes. */
  private record Ints(int size) {
    long read(Tee tee) throws IOException, Unparseable {
      boolean negative = tee.readByte() != 0;
      long value = 0;
      for (int i = 0; i < size; i++) {
        long b = tee.readByte();
        if (i < 8) {
          value |= b << (8 * i);
        }
      }
      return negative ? -value : value;
    }
  }

  /** The structure is not what this class understands (not a failure: the copy goes on). */
  private static final class Unparseable extends Exception {
    private static final long serialVersionUID = 1L;
    final String reason;

    Unparseable(String reason) {
      super(reason, null, false, false);
      this.reason = reason;
    }
  }

  /** Everything read from the dump is also written to the file, in order. */
  private static final class Tee {
    private final InputStream in;
    private final FileChannel out;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    long position;

    Tee(InputStream in, FileChannel out) {
      this.in = in;
      this.out = out;
    }

    int readByteOrEnd() throws IOException {
      int b = in.read();
      if (b >= 0) {
        if (!buffer.hasRemaining()) {
          flush();
        }
        buffer.put((byte) b);
        position++;
      }
      return b;
    }

    int readByte() throws IOException, Unparseable {
      int b = readByteOrEnd();
      if (b < 0) {
        throw new Unparseable("ends at byte " + position + " within a structure");
      }
      return b;
    }

    void copy(long n) throws IOException, Unparseable {
      while (n > 0) {
        if (!buffer.hasRemaining()) {
          flush();
        }
        int r =
            in.read(
                buffer.array(),
                buffer.arrayOffset() + buffer.position(),
                (int) Math.min(n, buffer.remaining()));
        if (r < 0) {
          throw new Unparseable("ends at byte " + position + " within a chunk");
        }
        buffer.position(buffer.position() + r);
        position += r;
        n -= r;
      }
    }

    void drain() throws IOException {
      while (true) {
        if (!buffer.hasRemaining()) {
          flush();
        }
        int r =
            in.read(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
        if (r < 0) {
          return;
        }
        buffer.position(buffer.position() + r);
        position += r;
      }
    }

    void flush() throws IOException {
      buffer.flip();
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
      buffer.clear();
    }
  }
}
