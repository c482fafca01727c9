package io.aido.backup.postgres.wal;

import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.ObjectKey;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One archived WAL object, known from its name alone (no key needed): a whole segment at {@code
 * wal/<timeline>/<segment>}, or the beginning of one at {@code
 * wal/<timeline>/<segment>.<valid-bytes>.partial}.
 *
 * <p>Why partial segments carry their length in the name: objects are create-only, so a later run
 * that has more of the same segment cannot replace the earlier partial; it stores a longer one
 * beside it, and readers take the longest (or the whole segment once it exists). Older partials are
 * then superseded and retention removes them.
 *
 * @param key the object
 * @param segment the segment it holds
 * @param validBytes how many bytes from the segment's start it holds (the segment size if whole)
 * @param partial whether it is a partial segment
 */
public record ArchivedWal(ObjectKey key, WalSegment segment, long validBytes, boolean partial)
    implements Comparable<ArchivedWal> {
  private static final Pattern NAME =
      Pattern.compile("([0-9A-F]{8})/([0-9A-F]{24})(?:\\.([0-9A-F]{8})\\.partial)?");

  /** The object name of a whole segment. */
  public static ObjectKey keyOf(WalSegment segment) {
    return Layout.walSegment(WalSegment.timelineName(segment.timeline()), segment.name());
  }

  /** The object name of the first {@code validBytes} of a segment. */
  public static ObjectKey partialKeyOf(WalSegment segment, long validBytes) {
    if (validBytes <= 0 || validBytes >= segment.segmentSize()) {
      throw new IllegalArgumentException(
          "a partial segment holds 1 to "
              + (segment.segmentSize() - 1)
              + " bytes, not "
              + validBytes);
    }
    return Layout.walSegment(
        WalSegment.timelineName(segment.timeline()),
        segment.name() + String.format(Locale.ROOT, ".%08X.partial", validBytes));
  }

  /** The whole segment {@code segment} as an archived object. */
  public static ArchivedWal whole(WalSegment segment) {
    return new ArchivedWal(keyOf(segment), segment, segment.segmentSize(), false);
  }

  /** The first {@code validBytes} of {@code segment} as an archived object. */
  public static ArchivedWal partial(WalSegment segment, long validBytes) {
    return new ArchivedWal(partialKeyOf(segment, validBytes), segment, validBytes, true);
  }

  /**
   * Reads an object name under {@code wal/}; empty for anything else (a history file, a stray
   * object), which WAL readers ignore.
   */
  public static Optional<ArchivedWal> parse(ObjectKey key, long segmentSize) {
    if (!key.name().startsWith(Layout.WAL)) {
      return Optional.empty();
    }
    Matcher m = NAME.matcher(key.name().substring(Layout.WAL.length()));
    if (!m.matches()) {
      return Optional.empty();
    }
    Optional<WalSegment> segment = WalSegment.parse(m.group(2), segmentSize);
    if (segment.isEmpty()
        || !WalSegment.timelineName(segment.get().timeline()).equals(m.group(1))) {
      return Optional.empty();
    }
    if (m.group(3) == null) {
      return Optional.of(new ArchivedWal(key, segment.get(), segmentSize, false));
    }
    long valid = Long.parseLong(m.group(3), 16);
    if (valid <= 0 || valid >= segmentSize) {
      return Optional.empty();
    }
    return Optional.of(new ArchivedWal(key, segment.get(), valid, true));
  }

  /** The first position this object does not hold. */
  public Lsn end() {
    return segment.start().plus(validBytes);
  }

  /** Segment order; for one segment, shorter partials first and the whole segment last. */
  @Override
  public int compareTo(ArchivedWal o) {
    int c = segment.compareTo(o.segment);
    return c != 0 ? c : Long.compare(validBytes, o.validBytes);
  }
}
