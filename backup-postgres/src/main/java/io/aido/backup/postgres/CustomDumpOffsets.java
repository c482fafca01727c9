package io.aido.backup.postgres;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
   * One table-of-contents entry as it lies in the file.
   *
   * @param dumpId the entry's id
   * @param tag the object's name ({@code todos} for a table's data)
   * @param desc what it is ({@code TABLE DATA}, {@code INDEX}, {@code ENCODING}, ...)
   * @param section 1 none, 2 pre-data, 3 data, 4 post-data (pg_dump's {@code teSection})
   * @param start the file position of its first byte
   * @param end the file position after its last byte (its offset field)
   */
  public record Entry(int dumpId, String tag, String desc, int section, long start, long end) {}

  /**
   * Where the table of contents lies in the file.
   *
   * @param countAt the file position of the entry count (the header is everything before it)
   * @param intSize the archive's integer size (an integer is a sign byte and that many bytes)
   * @param end the file position after the last entry (where the data blocks start)
   * @param entries the entries in file order
   */
  public record TableOfContents(long countAt, int intSize, long end, List<Entry> entries) {}

  /**
   * Told, on the copying thread, how the copy advances; bytes reported are in the file (flushed),
   * so another thread may read them. A method that throws stops the copy with that exception.
   */
  public interface Listener {
    /** The table of contents has been read and everything up to its end is in the file. */
    default void tableOfContents(TableOfContents toc) throws IOException {}

    /** The data block of entry {@code dumpId} starts at {@code start} (maybe not yet flushed). */
    default void blockStarted(int dumpId, long start) throws IOException {}

    /** The data block of entry {@code dumpId} ends before {@code end} (maybe not yet flushed). */
    default void blockEnded(int dumpId, long end) throws IOException {}

    /** Every byte before {@code position} is in the file. */
    default void flushed(long position) throws IOException {}
  }

  private static final Listener NONE = new Listener() {};

  /**
   * Copies {@code in} to the start of {@code out} (an empty file) and patches the offsets.
   *
   * @throws IOException if reading {@code in} or writing {@code out} fails (what {@code out} holds
   *     is then unusable)
   */
  public static Result copy(InputStream in, FileChannel out) throws IOException {
    return copy(in, out, NONE);
  }

  /**
   * Copies {@code in} to the start of {@code out} (an empty file), telling {@code listener} where
   * the table of contents and each data block lie as they pass, and patches the offsets at the end.
   * When the archive is not understood, the listener hears nothing but {@link Listener#flushed}.
   *
   * @throws IOException if reading {@code in}, writing {@code out} or the listener fails (what
   *     {@code out} holds is then unusable)
   */
  public static Result copy(InputStream in, FileChannel out, Listener listener) throws IOException {
    DumpTee tee = new DumpTee(new BufferedInputStream(in, 1 << 16), out, listener);
    Map<Integer, Long> offsetFields = new HashMap<>();
    Map<Integer, Long> blocks = new HashMap<>();
    int offSize;
    try {
      offSize = parse(tee, offsetFields, blocks, listener);
    } catch (UnparseableDump e) {
      LOG.info("the dump's table of contents was not understood ({}); copied as it is", e.reason);
      tee.drain();
      tee.flush();
      return new Result(tee.position(), false, 0);
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
    return new Result(tee.position(), true, written);
  }

  /** Reads the whole archive through {@code tee}; returns the offset size. */
  private static int parse(
      DumpTee tee, Map<Integer, Long> offsetFields, Map<Integer, Long> blocks, Listener listener)
      throws IOException, UnparseableDump {
    Header header = header(tee);
    long countAt = tee.position();
    long count = header.ints().read(tee);
    if (count < 0 || count > 100_000_000) {
      throw new UnparseableDump("entry count " + count);
    }
    List<Entry> entries = new ArrayList<>();
    for (long e = 0; e < count; e++) {
      entries.add(entry(tee, header, offsetFields));
    }
    tee.flush();
    listener.tableOfContents(
        new TableOfContents(countAt, header.ints().size(), tee.position(), List.copyOf(entries)));
    dataBlocks(tee, header.ints(), blocks, listener);
    return header.offSize();
  }

  /** What the archive header says about how the rest is written. */
  private record Header(int version, DumpInts ints, int offSize) {}

  private static Header header(DumpTee tee) throws IOException, UnparseableDump {
    byte[] magic = new byte[5];
    for (int i = 0; i < 5; i++) {
      magic[i] = (byte) tee.readByte();
    }
    if (!"PGDMP".equals(new String(magic, StandardCharsets.US_ASCII))) {
      throw new UnparseableDump("no PGDMP header");
    }
    int version = version(tee.readByte(), tee.readByte(), tee.readByte());
    if (version < MIN_VERSION || version > MAX_VERSION) {
      throw new UnparseableDump(
          "archive version " + (version >> 16) + "." + ((version >> 8) & 0xff));
    }
    DumpInts ints = new DumpInts(tee.readByte());
    int offSize = tee.readByte();
    int format = tee.readByte();
    if (ints.size() < 1 || ints.size() > 8 || offSize < 1 || offSize > 16 || format != 1) {
      throw new UnparseableDump("int size " + ints.size() + ", offset size " + offSize);
    }
    if (version >= V_1_15) {
      tee.readByte();
    } else {
      ints.read(tee);
    }
    for (int i = 0; i < 7; i++) {
      ints.read(tee); // creation time
    }
    ints.skipString(tee); // database name
    ints.skipString(tee); // server version
    ints.skipString(tee); // pg_dump version
    return new Header(version, ints, offSize);
  }

  /** One table-of-contents entry; remembers where its data offset is when it is not set yet. */
  private static Entry entry(DumpTee tee, Header header, Map<Integer, Long> offsetFields)
      throws IOException, UnparseableDump {
    DumpInts ints = header.ints();
    long start = tee.position();
    long dumpId = ints.read(tee);
    if (dumpId <= 0 || dumpId > Integer.MAX_VALUE) {
      throw new UnparseableDump("entry id " + dumpId);
    }
    ints.read(tee); // had a data dumper
    ints.skipString(tee); // table oid
    ints.skipString(tee); // oid
    String tag = ints.readString(tee);
    String desc = ints.readString(tee);
    long section = ints.read(tee);
    for (int s = 0; s < 5; s++) {
      ints.skipString(tee); // definition, drop, copy, namespace, tablespace
    }
    if (header.version() >= V_1_14) {
      ints.skipString(tee); // table access method
    }
    if (header.version() >= V_1_16) {
      ints.read(tee); // relkind
    }
    ints.skipString(tee); // owner
    ints.skipString(tee); // with oids
    while (ints.skipString(tee) >= 0) {
      // dependencies, up to a null string
    }
    long field = tee.position();
    int flag = tee.readByte();
    if (flag != K_OFFSET_POS_NOT_SET && flag != K_OFFSET_POS_SET && flag != K_OFFSET_NO_DATA) {
      throw new UnparseableDump("offset flag " + flag);
    }
    tee.copy(header.offSize());
    if (flag == K_OFFSET_POS_NOT_SET) {
      offsetFields.put((int) dumpId, field);
    }
    return new Entry((int) dumpId, tag, desc, (int) section, start, tee.position());
  }

  /** The data blocks after the table of contents, each one's start by dump id. */
  private static void dataBlocks(
      DumpTee tee, DumpInts ints, Map<Integer, Long> blocks, Listener listener)
      throws IOException, UnparseableDump {
    while (true) {
      long start = tee.position();
      int type = tee.readByteOrEnd();
      if (type < 0) {
        return;
      }
      long id = ints.read(tee);
      if (id <= 0 || id > Integer.MAX_VALUE) {
        throw new UnparseableDump("block id " + id + " at byte " + start);
      }
      listener.blockStarted((int) id, start);
      if (type == BLK_DATA) {
        skipChunks(tee, ints);
      } else if (type == BLK_BLOBS) {
        while (ints.read(tee) != 0) {
          skipChunks(tee, ints);
        }
      } else {
        throw new UnparseableDump("block type " + type + " at byte " + start);
      }
      blocks.put((int) id, start);
      listener.blockEnded((int) id, tee.position());
    }
  }

  private static void skipChunks(DumpTee tee, DumpInts ints) throws IOException, UnparseableDump {
    long length;
    while ((length = ints.read(tee)) != 0) {
      if (length < 0) {
        throw new UnparseableDump("chunk length " + length);
      }
      tee.copy(length);
    }
  }

  private static int version(int major, int minor, int revision) {
    return (major << 16) | (minor << 8) | revision;
  }
}
