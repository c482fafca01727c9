package io.aido.backup.core.retention;

import java.util.Objects;

/**
 * Why a backup is kept, such as {@code daily 2026-11-03} or {@code newest verified}.
 *
 * @param rule the rule that keeps it
 * @param text the rule with its period or rank, as printed
 */
public record Reason(Rule rule, String text) {

  /** The rules that keep a backup. */
  public enum Rule {
    /** One of the {@code keepLast} newest backups. */
    LAST,
    /** The newest backup of one of the {@code keepDaily} most recent days with a backup. */
    DAILY,
    /** The newest backup of one of the {@code keepWeekly} most recent ISO weeks with a backup. */
    WEEKLY,
    /** The newest backup of one of the {@code keepMonthly} most recent months with a backup. */
    MONTHLY,
    /** The newest backup that a verification found good; always kept. */
    NEWEST_VERIFIED,
    /** A restore or a verification is reading it; always kept. */
    IN_USE,
    /** Newer than {@code now} minus {@code keepDaily} days; always kept. */
    DAILY_WINDOW,
    /** The policy would have removed every backup of the group, so nothing is removed. */
    REFUSED
  }

  public Reason {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(text, "text");
  }

  @Override
  public String toString() {
    return text;
  }
}
