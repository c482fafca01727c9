package io.aido.backup.core.catalog;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * A backup's identity, sortable by time: {@code 20261124T020000Z-a1b2c3} is the UTC start second
 * and six random hex digits.
 */
public record BackupId(String value) implements Comparable<BackupId> {
  private static final Pattern FORMAT = Pattern.compile("\\d{8}T\\d{6}Z-[0-9a-f]{6}");
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  public BackupId {
    Objects.requireNonNull(value, "value");
    if (!FORMAT.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "invalid backup id '" + value + "' (expected like 20261124T020000Z-a1b2c3)");
    }
  }

  /** A new id for a backup started at {@code start}. */
  public static BackupId generate(Instant start, RandomGenerator random) {
    byte[] suffix = new byte[3];
    random.nextBytes(suffix);
    return new BackupId(
        TIME.format(start.truncatedTo(ChronoUnit.SECONDS))
            + "-"
            + HexFormat.of().formatHex(suffix));
  }

  /** Whether {@code s} is a well-formed id. */
  public static boolean isValid(String s) {
    return s != null && FORMAT.matcher(s).matches();
  }

  /** The start time encoded in the id, to the second. */
  public Instant time() {
    return Instant.from(TIME.parse(value.substring(0, 16)));
  }

  @Override
  public int compareTo(BackupId o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
