package io.aido.backup.deploy;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.BitSet;

/**
 * A five-field cron schedule as the CronJob controller reads it (minute, hour, day of month, month,
 * day of week; numbers, {@code *}, ranges, steps and lists; day of month and day of week both
 * restricted means either). Names and macros are refused: the manifests do not use them.
 */
final class Cron {
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet days;
  private final BitSet months;
  private final BitSet weekdays;
  private final boolean daysRestricted;
  private final boolean weekdaysRestricted;

  private Cron(String[] f) {
    minutes = field(f[0], 0, 59);
    hours = field(f[1], 0, 23);
    days = field(f[2], 1, 31);
    months = field(f[3], 1, 12);
    weekdays = field(f[4], 0, 7);
    if (weekdays.get(7)) {
      weekdays.set(0);
    }
    daysRestricted = !f[2].startsWith("*");
    weekdaysRestricted = !f[4].startsWith("*");
  }

  /**
   * Parses a schedule.
   *
   * @throws IllegalArgumentException if it is not five valid fields
   */
  static Cron parse(String schedule) {
    String[] f = schedule.trim().split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException("'" + schedule + "' does not have 5 fields");
    }
    return new Cron(f);
  }

  private static BitSet field(String text, int min, int max) {
    BitSet set = new BitSet();
    for (String part : text.split(",", -1)) {
      int step = 1;
      String range = part;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        step = number(part.substring(slash + 1), 1, max);
        range = part.substring(0, slash);
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = min;
        to = max;
      } else if (range.contains("-")) {
        from = number(range.substring(0, range.indexOf('-')), min, max);
        to = number(range.substring(range.indexOf('-') + 1), min, max);
        if (from > to) {
          throw new IllegalArgumentException("range '" + range + "' is backwards");
        }
      } else {
        from = number(range, min, max);
        to = slash >= 0 ? max : from;
      }
      for (int v = from; v <= to; v += step) {
        set.set(v);
      }
    }
    return set;
  }

  private static int number(String s, int min, int max) {
    int v;
    try {
      v = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' is not a number");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(v + " is outside " + min + "-" + max);
    }
    return v;
  }

  boolean matches(LocalDateTime t) {
    if (!minutes.get(t.getMinute()) || !hours.get(t.getHour()) || !months.get(t.getMonthValue())) {
      return false;
    }
    boolean day = days.get(t.getDayOfMonth());
    boolean weekday = weekdays.get(t.getDayOfWeek().getValue() % 7);
    if (daysRestricted && weekdaysRestricted) {
      return day || weekday;
    }
    return day && weekday;
  }

  /** The shortest and longest time between two runs over a whole (non-leap) year. */
  Duration[] gaps() {
    LocalDateTime t = LocalDateTime.of(2027, 1, 1, 0, 0);
    LocalDateTime end = t.plusYears(1);
    LocalDateTime last = null;
    Duration shortest = null;
    Duration longest = null;
    for (; t.isBefore(end); t = t.plusMinutes(1)) {
      if (matches(t)) {
        if (last != null) {
          Duration gap = Duration.between(last, t);
          shortest = shortest == null || gap.compareTo(shortest) < 0 ? gap : shortest;
          longest = longest == null || gap.compareTo(longest) > 0 ? gap : longest;
        }
        last = t;
      }
    }
    if (shortest == null) {
      throw new IllegalArgumentException("the schedule runs at most once a year");
    }
    return new Duration[] {shortest, longest};
  }
}
