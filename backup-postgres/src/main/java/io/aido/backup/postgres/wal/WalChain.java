package io.aido.backup.postgres.wal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What an archive's WAL objects say about recovery: for each segment the best object (the whole
 * segment, else the longest partial), the unbroken runs, the gaps between them, and which objects
 * nothing needs any more. A pure function of the object names: no key, no download.
 *
 * <p>A gap is any place between the first and the last archived position where a position is not
 * archived: a missing segment, or a partial segment that later segments follow. Recovery cannot
 * replay across a gap, so a point in time after it is reachable only from a base backup taken after
 * it.
 *
 * <pre>{@code
 * WalChain chain = WalChain.of(archive.list(segmentSize));
 * for (WalChain.Gap gap : chain.gaps()) System.out.println(gap.describe());
 * Optional<Lsn> end = chain.reachableFrom(base.startSegment());
 * }</pre>
 */
public final class WalChain {
  /** Segment to the best object holding it, per timeline. */
  private final TreeMap<Integer, TreeMap<Long, ArchivedWal>> best = new TreeMap<>();

  private final List<ArchivedWal> all;

  private WalChain(List<ArchivedWal> all) {
    this.all = all;
    for (ArchivedWal w : all) {
      best.computeIfAbsent(w.segment().timeline(), t -> new TreeMap<>())
          .merge(w.segment().segno(), w, (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }
  }

  /** The chain of {@code objects}, in any order. */
  public static WalChain of(Collection<ArchivedWal> objects) {
    return new WalChain(objects.stream().sorted().toList());
  }

  /**
   * A hole in the archive on one timeline.
   *
   * @param timeline the timeline
   * @param from the first position not archived
   * @param to the next archived position
   */
  public record Gap(int timeline, Lsn from, Lsn to) {
    /** {@code point-in-time recovery is impossible between 0/3000000 and 0/5000000 ...}. */
    public String describe() {
      return "point-in-time recovery is impossible between "
          + from
          + " and "
          + to
          + " on timeline "
          + timeline
          + " (WAL "
          + (to.minus(from) / 1024)
          + " KiB not archived); a base backup taken after "
          + to
          + " restores past it";
    }
  }

  /** The timelines that have archived WAL, ascending. */
  public List<Integer> timelines() {
    return List.copyOf(best.keySet());
  }

  /** Every gap, by timeline and position. */
  public List<Gap> gaps() {
    List<Gap> gaps = new ArrayList<>();
    best.forEach(
        (timeline, segments) -> {
          ArchivedWal previous = null;
          for (ArchivedWal w : segments.values()) {
            if (previous != null && previous.end().isBefore(w.segment().start())) {
              gaps.add(new Gap(timeline, previous.end(), w.segment().start()));
            }
            previous = w;
          }
        });
    return gaps;
  }

  /** The best object for each segment of {@code timeline}, in order. */
  public List<ArchivedWal> segments(int timeline) {
    TreeMap<Long, ArchivedWal> segments = best.get(timeline);
    return segments == null ? List.of() : List.copyOf(segments.values());
  }

  /**
   * The unbroken run that starts with segment {@code first}: the objects recovery reads from there
   * on, ending at the first gap or the archive's end. Empty if {@code first} is not archived.
   */
  public List<ArchivedWal> runFrom(WalSegment first) {
    TreeMap<Long, ArchivedWal> segments = best.get(first.timeline());
    List<ArchivedWal> run = new ArrayList<>();
    if (segments == null) {
      return run;
    }
    long expected = first.segno();
    for (ArchivedWal w : segments.tailMap(first.segno(), true).values()) {
      if (w.segment().segno() != expected) {
        break;
      }
      run.add(w);
      if (w.partial()) {
        break;
      }
      expected++;
    }
    return run;
  }

  /** The first position after the unbroken run from {@code first}, if {@code first} is archived. */
  public Optional<Lsn> reachableFrom(WalSegment first) {
    List<ArchivedWal> run = runFrom(first);
    return run.isEmpty() ? Optional.empty() : Optional.of(run.get(run.size() - 1).end());
  }

  /** The newest whole segment of {@code timeline}. */
  public Optional<WalSegment> newestWhole(int timeline) {
    TreeMap<Long, ArchivedWal> segments = best.get(timeline);
    if (segments == null) {
      return Optional.empty();
    }
    return segments.descendingMap().values().stream()
        .filter(w -> !w.partial())
        .map(ArchivedWal::segment)
        .findFirst();
  }

  /** The end of the archive on {@code timeline}: the first position not archived after the last. */
  public Optional<Lsn> end(int timeline) {
    TreeMap<Long, ArchivedWal> segments = best.get(timeline);
    return segments == null || segments.isEmpty()
        ? Optional.empty()
        : Optional.of(segments.lastEntry().getValue().end());
  }

  /**
   * The objects no recovery can need once every base backup starts at or after {@code
   * oldestNeeded}: every segment before it (on any timeline, since positions only grow across
   * timelines), and partial segments that a whole one or a longer partial supersedes.
   */
  public List<ArchivedWal> expendable(Lsn oldestNeeded) {
    List<ArchivedWal> out = new ArrayList<>();
    for (ArchivedWal w : all) {
      boolean beforeOldest = !w.segment().end().isAfter(oldestNeeded);
      boolean superseded = best.get(w.segment().timeline()).get(w.segment().segno()) != w;
      if (beforeOldest || superseded) {
        out.add(w);
      }
    }
    return out;
  }

  /** Superseded partial segments only: safe to remove whatever the base backups. */
  public List<ArchivedWal> superseded() {
    return all.stream()
        .filter(w -> best.get(w.segment().timeline()).get(w.segment().segno()) != w)
        .toList();
  }
}
