package io.aido.backup.postgres.wal;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One WAL segment file, named as PostgreSQL names it: timeline, then the segment number split in
 * two, eight hexadecimal digits each ({@code 000000010000000000000003}).
 *
 * <p>The segment number counts segments of {@code segmentSize} bytes from position 0, so the
 * segment holding position {@code p} is {@code p / segmentSize}. The size is a property of the
 * cluster ({@code wal_segment_size}, 16 MiB unless initdb was told otherwise) and must be known to
 * read a name: the second half of the name counts up to {@code 4 GiB / segmentSize} only.
 *
 * @param timeline the timeline (1 for a cluster that was never recovered to a point in time)
 * @param segno the segment number
 * @param segmentSize bytes per segment, a power of two from 1 MiB to 1 GiB
 */
public record WalSegment(int timeline, long segno, long segmentSize)
    implements Comparable<WalSegment> {
  /** PostgreSQL's default {@code wal_segment_size}. */
  public static final long DEFAULT_SIZE = 16L * 1024 * 1024;

  private static final Pattern NAME = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})");

  public WalSegment {
    if (timeline < 1) {
      throw new IllegalArgumentException("timeline " + timeline + " is not positive");
    }
    if (segno < 0) {
      throw new IllegalArgumentException("segment number " + segno + " is negative");
    }
    checkSize(segmentSize);
  }

  /** The segment holding position {@code lsn} on {@code timeline}. */
  public static WalSegment containing(int timeline, Lsn lsn, long segmentSize) {
    checkSize(segmentSize);
    return new WalSegment(timeline, Long.divideUnsigned(lsn.value(), segmentSize), segmentSize);
  }

  /**
   * Reads a segment file name; empty if {@code name} is not one (a history file, a partial).
   *
   * @throws IllegalArgumentException if {@code segmentSize} is not a valid segment size
   */
  public static Optional<WalSegment> parse(String name, long segmentSize) {
    checkSize(segmentSize);
    Matcher m = NAME.matcher(Objects.requireNonNull(name, "name"));
    if (!m.matches()) {
      return Optional.empty();
    }
    long timeline = Long.parseLong(m.group(1), 16);
    long hi = Long.parseLong(m.group(2), 16);
    long lo = Long.parseLong(m.group(3), 16);
    if (timeline < 1 || timeline > Integer.MAX_VALUE || lo >= perXLogId(segmentSize)) {
      return Optional.empty();
    }
    return Optional.of(
        new WalSegment((int) timeline, hi * perXLogId(segmentSize) + lo, segmentSize));
  }

  /** Eight hexadecimal digits: how timelines appear in names and in the repository layout. */
  public static String timelineName(int timeline) {
    return String.format(Locale.ROOT, "%08X", timeline);
  }

  private static long perXLogId(long segmentSize) {
    return 0x100000000L / segmentSize;
  }

  private static void checkSize(long segmentSize) {
    if (segmentSize < (1 << 20) || segmentSize > (1L << 30) || Long.bitCount(segmentSize) != 1) {
      throw new IllegalArgumentException(
          "WAL segment size " + segmentSize + " is not a power of two from 1 MiB to 1 GiB");
    }
  }

  /** The file name: {@code 000000010000000000000003}. */
  public String name() {
    long per = perXLogId(segmentSize);
    return String.format(Locale.ROOT, "%08X%08X%08X", timeline, segno / per, segno % per);
  }

  /** The first position in this segment. */
  public Lsn start() {
    return new Lsn(segno * segmentSize);
  }

  /** The first position after this segment. */
  public Lsn end() {
    return new Lsn((segno + 1) * segmentSize);
  }

  public WalSegment next() {
    return new WalSegment(timeline, segno + 1, segmentSize);
  }

  @Override
  public int compareTo(WalSegment o) {
    int c = Integer.compare(timeline, o.timeline);
    return c != 0 ? c : Long.compare(segno, o.segno);
  }

  @Override
  public String toString() {
    return name();
  }
}
