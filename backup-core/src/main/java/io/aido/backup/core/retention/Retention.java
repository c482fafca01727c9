package io.aido.backup.core.retention;

import io.aido.backup.core.catalog.BackupId;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The retention decision: a pure function from the backups of one group (one kind, one source), a
 * {@link RetentionPolicy} and the current time to a {@link Plan}. No I/O, no clock of its own.
 *
 * <h2>Rules</h2>
 *
 * Backups are ordered newest first (by time, then by id). A backup is kept when at least one of
 * these rules keeps it, and removed otherwise:
 *
 * <ol>
 *   <li>{@code last N}: it is one of the {@code keepLast} newest backups.
 *   <li>{@code daily 2026-11-03}: it is the newest backup of its calendar day, and that day is one
 *       of the {@code keepDaily} most recent days <em>that have a backup</em>. This is restic's
 *       {@code --keep-daily} ("for the last n days which have one or more snapshots, keep only the
 *       most recent one for each day"), not "the n days back from now": after an outage of a week
 *       the policy still keeps 30 daily backups instead of 23, so a gap never shortens the history
 *       that is kept.
 *   <li>{@code weekly 2026-W44}: the same with ISO weeks (Monday to Sunday, ISO week-based year).
 *   <li>{@code monthly 2026-07}: the same with calendar months.
 * </ol>
 *
 * Days, weeks and months are those of the policy's time zone. The counts are independent: the
 * newest backup of today is both a daily and this month's monthly, and it uses up one of each. So
 * with one backup a day, {@code --keep-daily 30 --keep-monthly 12} keeps 30 dailies and 12
 * monthlies, two of which (this month's and usually last month's last day) are also dailies: 40
 * backups, covering 12 calendar months, the current one included.
 *
 * <h2>Invariants, whatever the input and the policy</h2>
 *
 * <ul>
 *   <li>{@code newest verified}: the newest backup whose verification succeeded is kept.
 *   <li>{@code in use}: a backup that a restore or a verification is reading is kept.
 *   <li>{@code inside the daily window}: nothing newer than {@code now} minus {@code keepDaily}
 *       calendar days (in the policy's zone) is removed, however many backups a day there are.
 *   <li>Clock skew: a backup timestamped a few minutes after {@code now} is simply the newest of
 *       its periods and, when {@code keepDaily > 0}, inside the daily window; nothing else changes.
 *   <li>{@code refused}: if the rules would remove every backup of the group, the plan removes
 *       nothing and is {@linkplain Plan#refused() refused}; the caller fails loudly. (With any
 *       non-zero count this cannot happen, since the newest backup is then always kept.)
 *   <li>Every backup of the input is in the plan exactly once; the result does not depend on the
 *       input's order.
 * </ul>
 *
 * <pre>{@code
 * Plan plan = Retention.decide(candidates, RetentionPolicy.DEFAULT, clock.instant());
 * if (plan.refused()) { fail(plan.refusalMessage().get()); }
 * for (Decision d : plan.removed()) { delete(d.backup().id()); }
 * }</pre>
 */
public final class Retention {

  private Retention() {}

  /**
   * Decides which backups of one group to keep.
   *
   * @param backups the complete backups of one kind and source, in any order
   * @param policy the counts and the time zone
   * @param now the current time
   * @return one decision per backup, newest first
   * @throws IllegalArgumentException if two backups have the same id
   * @throws NullPointerException if an argument or an element is null
   */
  public static Plan decide(List<Candidate> backups, RetentionPolicy policy, Instant now) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(now, "now");
    List<Candidate> sorted = new ArrayList<>(backups);
    sorted.sort(Candidate.NEWEST_FIRST);
    Set<BackupId> ids = new HashSet<>();
    for (Candidate c : sorted) {
      if (!ids.add(c.id())) {
        throw new IllegalArgumentException("backup '" + c.id() + "' is listed twice");
      }
    }

    List<List<Reason>> reasons = new ArrayList<>();
    for (int i = 0; i < sorted.size(); i++) {
      reasons.add(new ArrayList<>());
    }
    for (int i = 0; i < Math.min(policy.keepLast(), sorted.size()); i++) {
      reasons.get(i).add(new Reason(Reason.Rule.LAST, "last " + (i + 1)));
    }
    ZoneId zone = policy.zone();
    keepNewestPerPeriod(
        sorted,
        reasons,
        policy.keepDaily(),
        Reason.Rule.DAILY,
        "daily ",
        t -> LocalDate.ofInstant(t, zone).toString());
    keepNewestPerPeriod(
        sorted,
        reasons,
        policy.keepWeekly(),
        Reason.Rule.WEEKLY,
        "weekly ",
        t -> isoWeek(LocalDate.ofInstant(t, zone)));
    keepNewestPerPeriod(
        sorted,
        reasons,
        policy.keepMonthly(),
        Reason.Rule.MONTHLY,
        "monthly ",
        t -> YearMonth.from(LocalDate.ofInstant(t, zone)).toString());
    for (int i = 0; i < sorted.size(); i++) {
      if (sorted.get(i).verified()) {
        reasons.get(i).add(new Reason(Reason.Rule.NEWEST_VERIFIED, "newest verified"));
        break;
      }
    }
    Instant windowStart =
        ZonedDateTime.ofInstant(now, zone).minusDays(policy.keepDaily()).toInstant();
    for (int i = 0; i < sorted.size(); i++) {
      Candidate c = sorted.get(i);
      if (c.inUse()) {
        reasons.get(i).add(new Reason(Reason.Rule.IN_USE, "in use"));
      }
      if (policy.keepDaily() > 0 && c.time().isAfter(windowStart)) {
        reasons.get(i).add(new Reason(Reason.Rule.DAILY_WINDOW, "inside the daily window"));
      }
    }

    String refusal = null;
    if (!sorted.isEmpty() && reasons.stream().allMatch(List::isEmpty)) {
      refusal =
          "the policy ("
              + policy
              + ") would remove all "
              + sorted.size()
              + " backups of this group; nothing is removed";
      for (List<Reason> r : reasons) {
        r.add(new Reason(Reason.Rule.REFUSED, "refused to remove every backup"));
      }
    }
    List<Decision> decisions = new ArrayList<>(sorted.size());
    for (int i = 0; i < sorted.size(); i++) {
      decisions.add(new Decision(sorted.get(i), reasons.get(i)));
    }
    return new Plan(policy, now, decisions, refusal);
  }

  /** {@code 2026-W44}: the ISO week-based year and week of {@code date}. */
  static String isoWeek(LocalDate date) {
    return String.format(
        "%d-W%02d",
        date.get(IsoFields.WEEK_BASED_YEAR), date.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
  }

  /**
   * Walking newest first, the first backup seen of each period is that period's newest; the first
   * {@code count} distinct periods seen are the most recent ones that have a backup.
   */
  private static void keepNewestPerPeriod(
      List<Candidate> newestFirst,
      List<List<Reason>> reasons,
      int count,
      Reason.Rule rule,
      String label,
      Function<Instant, String> period) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < newestFirst.size() && seen.size() < count; i++) {
      String p = period.apply(newestFirst.get(i).time());
      if (seen.add(p)) {
        reasons.get(i).add(new Reason(rule, label + p));
      }
    }
  }
}
