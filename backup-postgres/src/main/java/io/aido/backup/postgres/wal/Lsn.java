package io.aido.backup.postgres.wal;

import java.util.Locale;

/**
 * A PostgreSQL write-ahead log position, printed as PostgreSQL prints it ({@code 0/16B3748}).
 *
 * @param value the 64-bit position, compared unsigned (positions never reach the sign bit)
 */
public record Lsn(long value) implements Comparable<Lsn> {
  public static final Lsn ZERO = new Lsn(0);

  /**
   * Parses {@code X/Y} (two hexadecimal numbers).
   *
   * @throws IllegalArgumentException naming the text if it is not a position
   */
  public static Lsn parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not a WAL position like 0/16B3748");
    }
    try {
      long hi = Long.parseLong(text.substring(0, slash).strip(), 16);
      long lo = Long.parseLong(text.substring(slash + 1).strip(), 16);
      if (hi < 0 || hi > 0xFFFFFFFFL || lo < 0 || lo > 0xFFFFFFFFL) {
        throw new NumberFormatException();
      }
      return new Lsn((hi << 32) | lo);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a WAL position like 0/16B3748");
    }
  }

  public Lsn plus(long bytes) {
    return new Lsn(value + bytes);
  }

  /** Bytes from {@code earlier} to this position (negative if it is later). */
  public long minus(Lsn earlier) {
    return value - earlier.value;
  }

  @Override
  public int compareTo(Lsn o) {
    return Long.compareUnsigned(value, o.value);
  }

  public boolean isAfter(Lsn o) {
    return compareTo(o) > 0;
  }

  public boolean isBefore(Lsn o) {
    return compareTo(o) < 0;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFFFFFFL);
  }
}
