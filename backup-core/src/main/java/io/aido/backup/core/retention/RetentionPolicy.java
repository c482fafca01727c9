package io.aido.backup.core.retention;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * How many backups of one kind and source to keep, counted in calendar periods of one time zone.
 *
 * <p>Each count is independent, as in restic's {@code forget}: {@code keepDaily} keeps the newest
 * backup of each of the {@code keepDaily} most recent calendar days that have a backup, {@code
 * keepMonthly} the newest backup of each of the {@code keepMonthly} most recent calendar months
 * that have one, and so on. One backup may satisfy several counts (today's backup is both a daily
 * and this month's monthly). See {@link Retention#decide} for the full rules and the invariants
 * that hold whatever the policy.
 *
 * <p>It prints as a sentence:
 *
 * <pre>{@code
 * RetentionPolicy.DEFAULT.toString()
 *   // "keep the last 0, 30 daily, 0 weekly and 12 monthly backups (UTC)"
 * }</pre>
 *
 * @param keepLast the newest backups to keep whatever their time
 * @param keepDaily calendar days to keep one backup for; also the width, in days back from now, of
 *     the window inside which nothing is removed
 * @param keepWeekly ISO weeks (Monday to Sunday) to keep one backup for
 * @param keepMonthly calendar months to keep one backup for
 * @param zone the time zone whose calendar defines days, weeks and months
 * @throws IllegalArgumentException if a count is negative
 * @throws NullPointerException if {@code zone} is null
 */
public record RetentionPolicy(
    int keepLast, int keepDaily, int keepWeekly, int keepMonthly, ZoneId zone) {

  /** 30 daily and 12 monthly backups in UTC, the source document's policy. */
  public static final RetentionPolicy DEFAULT = new RetentionPolicy(0, 30, 0, 12, ZoneOffset.UTC);

  public RetentionPolicy {
    Objects.requireNonNull(zone, "zone");
    requireNonNegative("keep-last", keepLast);
    requireNonNegative("keep-daily", keepDaily);
    requireNonNegative("keep-weekly", keepWeekly);
    requireNonNegative("keep-monthly", keepMonthly);
  }

  /** Whether every count is zero: such a policy would keep nothing but what the invariants keep. */
  public boolean keepsNothing() {
    return keepLast == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0;
  }

  @Override
  public String toString() {
    return "keep the last "
        + keepLast
        + ", "
        + keepDaily
        + " daily, "
        + keepWeekly
        + " weekly and "
        + keepMonthly
        + " monthly backups ("
        + (zone.normalized().equals(ZoneOffset.UTC) ? "UTC" : zone.getId())
        + ")";
  }

  private static void requireNonNegative(String option, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(option + " must be 0 or more, got " + value);
    }
  }
}
