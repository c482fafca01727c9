package io.aido.backup.core.retention;

import static io.aido.backup.core.retention.Histories.backup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.retention.Reason.Rule;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RetentionTest {
  private static final Instant NOW = Instant.parse("2026-11-24T03:00:00Z");

  /** One backup a day at 02:00 UTC for {@code days} days, the newest on {@code lastDay}. */
  private static List<Candidate> daily(LocalDate lastDay, int days) {
    List<Candidate> list = new ArrayList<>();
    for (int i = 0; i < days; i++) {
      list.add(backup(lastDay.minusDays(i).atTime(2, 0).toInstant(ZoneOffset.UTC), i));
    }
    return list;
  }

  private static Set<String> labels(Plan plan, Rule rule) {
    return plan.kept().stream()
        .flatMap(d -> d.reasons().stream())
        .filter(r -> r.rule() == rule)
        .map(Reason::text)
        .collect(Collectors.toSet());
  }

  @Test
  void policy_default_printsAsSentence() {
    assertThat(RetentionPolicy.DEFAULT)
        .hasToString("keep the last 0, 30 daily, 0 weekly and 12 monthly backups (UTC)");
  }

  @Test
  void policy_negativeCount_failsNamingTheOption() {
    assertThatThrownBy(() -> new RetentionPolicy(0, -1, 0, 12, ZoneOffset.UTC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keep-daily must be 0 or more, got -1");
  }

  /**
   * The example. Its "exactly 30 dailies plus 12 monthlies" means: 30 backups carry a daily
   * reason (the 30 newest days), 12 carry a monthly reason (the newest backup of each of the 12
   * newest months, the current one included), and nothing else survives. The counts are
   * independent, as in restic, so a backup can be both: here today's (the November monthly) and 31
   * October's (the October monthly) are also dailies, and 30 + 12 - 2 = 40 backups survive.
   */
  @Test
  void decide_400DailyBackups_keeps30DailiesAnd12Monthlies() {
    Plan plan =
        Retention.decide(daily(LocalDate.of(2026, 11, 24), 400), RetentionPolicy.DEFAULT, NOW);

    Set<String> dailies = labels(plan, Rule.DAILY);
    Set<String> monthlies = labels(plan, Rule.MONTHLY);
    assertThat(dailies).hasSize(30).contains("daily 2026-11-24", "daily 2026-10-26");
    assertThat(monthlies)
        .containsExactlyInAnyOrder(
            "monthly 2026-11",
            "monthly 2026-10",
            "monthly 2026-09",
            "monthly 2026-08",
            "monthly 2026-07",
            "monthly 2026-06",
            "monthly 2026-05",
            "monthly 2026-04",
            "monthly 2026-03",
            "monthly 2026-02",
            "monthly 2026-01",
            "monthly 2025-12");
    assertThat(plan.kept())
        .hasSize(40)
        .allMatch(d -> d.keptBy(Rule.DAILY) || d.keptBy(Rule.MONTHLY));
    assertThat(plan.removed()).hasSize(360);
    assertThat(plan.refused()).isFalse();
    // a month's kept backup is its newest: 30 September, not 1 September
    assertThat(
            plan.decisions().stream()
                .filter(d -> d.keptBy(Rule.MONTHLY))
                .map(d -> LocalDate.ofInstant(d.backup().time(), ZoneOffset.UTC)))
        .contains(LocalDate.of(2026, 9, 30), LocalDate.of(2025, 12, 31));
  }

  /** The same for every day of a year as "today": always 30 dailies and 12 monthly months. */
  @Test
  void decide_400DailyBackupsOnAnyDay_alwaysKeeps30DailiesAndTwelveMonths() {
    for (LocalDate today = LocalDate.of(2027, 1, 1);
        today.isBefore(LocalDate.of(2028, 1, 1));
        today = today.plusDays(1)) {
      Instant now = today.atTime(3, 0).toInstant(ZoneOffset.UTC);
      Plan plan = Retention.decide(daily(today, 400), RetentionPolicy.DEFAULT, now);

      List<Decision> dailies = plan.kept().stream().filter(d -> d.keptBy(Rule.DAILY)).toList();
      List<Decision> monthlies = plan.kept().stream().filter(d -> d.keptBy(Rule.MONTHLY)).toList();
      assertThat(dailies).as("dailies on %s", today).hasSize(30);
      assertThat(monthlies).as("monthlies on %s", today).hasSize(12);
      assertThat(
              monthlies.stream()
                  .map(d -> YearMonth.from(LocalDate.ofInstant(d.backup().time(), ZoneOffset.UTC)))
                  .collect(Collectors.toSet()))
          .as("months on %s", today)
          .hasSize(12)
          .contains(YearMonth.from(today), YearMonth.from(today).minusMonths(11));
      long both = dailies.stream().filter(d -> d.keptBy(Rule.MONTHLY)).count();
      assertThat(plan.kept()).as("kept on %s", today).hasSize((int) (30 + 12 - both));
    }
  }

  @Test
  void decide_emptyInput_emptyPlanNotRefused() {
    Plan plan = Retention.decide(List.of(), RetentionPolicy.DEFAULT, NOW);

    assertThat(plan.decisions()).isEmpty();
    assertThat(plan.refused()).isFalse();
  }

  @Test
  void decide_oneOldBackup_keepsItAsDailyAndMonthly() {
    Candidate old = backup(Instant.parse("2024-01-15T02:00:00Z"), 1);

    Plan plan = Retention.decide(List.of(old), RetentionPolicy.DEFAULT, NOW);

    assertThat(plan.removed()).isEmpty();
    assertThat(plan.decisions().get(0).reasons())
        .extracting(Reason::text)
        .containsExactly("daily 2024-01-15", "monthly 2024-01");
  }

  @Test
  void decide_allUnverified_keepsByPolicyWithoutNewestVerified() {
    Plan plan =
        Retention.decide(daily(LocalDate.of(2026, 11, 24), 100), RetentionPolicy.DEFAULT, NOW);

    assertThat(plan.kept()).noneMatch(d -> d.keptBy(Rule.NEWEST_VERIFIED));
    // 30 dailies (26 October to 24 November) and the monthlies of September and August
    assertThat(plan.kept()).hasSize(32);
  }

  @Test
  void decide_onlyOldBackupVerified_keepsItBeyondThePolicy() {
    List<Candidate> history = new ArrayList<>(daily(LocalDate.of(2026, 11, 24), 400));
    Candidate verified = history.get(399); // 400 days old, outside every count
    history.set(399, new Candidate(verified.id(), verified.time(), true, false));

    Plan plan = Retention.decide(history, RetentionPolicy.DEFAULT, NOW);

    assertThat(plan.decision(verified.id()).orElseThrow().reasons())
        .extracting(Reason::text)
        .containsExactly("newest verified");
    assertThat(plan.kept()).hasSize(41);
  }

  @Test
  void decide_oldBackupInUse_keepsIt() {
    List<Candidate> history = new ArrayList<>(daily(LocalDate.of(2026, 11, 24), 400));
    Candidate reading = history.get(200);
    history.set(200, new Candidate(reading.id(), reading.time(), false, true));

    Plan plan = Retention.decide(history, RetentionPolicy.DEFAULT, NOW);

    assertThat(plan.decision(reading.id()).orElseThrow().reasons())
        .extracting(Reason::text)
        .containsExactly("in use");
  }

  @Test
  void decide_policyKeepsNothing_refusesAndRemovesNothing() {
    RetentionPolicy none = new RetentionPolicy(0, 0, 0, 0, ZoneOffset.UTC);

    Plan plan = Retention.decide(daily(LocalDate.of(2026, 11, 24), 5), none, NOW);

    assertThat(plan.refused()).isTrue();
    assertThat(plan.removed()).isEmpty();
    assertThat(plan.kept()).hasSize(5).allMatch(d -> d.keptBy(Rule.REFUSED));
    assertThat(plan.refusalMessage().orElseThrow())
        .isEqualTo(
            "the policy (keep the last 0, 0 daily, 0 weekly and 0 monthly backups (UTC)) would"
                + " remove all 5 backups of this group; nothing is removed");
  }

  @Test
  void decide_policyKeepsNothingButOneVerified_keepsOnlyTheVerified() {
    RetentionPolicy none = new RetentionPolicy(0, 0, 0, 0, ZoneOffset.UTC);
    List<Candidate> history = new ArrayList<>(daily(LocalDate.of(2026, 11, 24), 5));
    Candidate v = history.get(3);
    history.set(3, new Candidate(v.id(), v.time(), true, false));

    Plan plan = Retention.decide(history, none, NOW);

    assertThat(plan.refused()).isFalse();
    assertThat(plan.kept()).extracting(d -> d.backup().id()).containsExactly(v.id());
  }

  @Test
  void decide_manyBackupsADay_keepsAllInsideTheWindowAndTheNewestOfEachDayOutside() {
    List<Candidate> hourly = new ArrayList<>();
    Instant start = Instant.parse("2026-09-01T00:30:00Z");
    for (int i = 0; start.plus(Duration.ofHours(i)).isBefore(NOW); i++) {
      hourly.add(backup(start.plus(Duration.ofHours(i)), i));
    }

    Plan plan = Retention.decide(hourly, RetentionPolicy.DEFAULT, NOW);

    Instant windowStart = NOW.minus(Duration.ofDays(30));
    assertThat(plan.removed()).allMatch(d -> !d.backup().time().isAfter(windowStart));
    assertThat(plan.kept().stream().filter(d -> d.keptBy(Rule.DAILY_WINDOW))).hasSize(30 * 24);
    // the 30 dailies (26 October to 24 November) all lie inside the window; outside it only
    // September's monthly survives
    assertThat(
            plan.kept().stream()
                .filter(d -> !d.keptBy(Rule.DAILY_WINDOW))
                .map(d -> d.backup().time().toString()))
        .containsExactly("2026-09-30T23:30:00Z");
  }

  @Test
  void decide_aWeekWithoutBackups_stillKeeps30Dailies() {
    List<Candidate> history = new ArrayList<>(daily(LocalDate.of(2026, 11, 24), 100));
    history.removeIf(
        c ->
            c.time().isAfter(Instant.parse("2026-11-10T00:00:00Z"))
                && c.time().isBefore(Instant.parse("2026-11-17T00:00:00Z")));

    Plan plan = Retention.decide(history, RetentionPolicy.DEFAULT, NOW);

    assertThat(labels(plan, Rule.DAILY)).hasSize(30).contains("daily 2026-10-19");
  }

  @Test
  void decide_zone_groupsByTheZonesCalendarDays() {
    // 23:30 UTC on 3 November is already 4 November in Berlin, the same day as the other backup
    Candidate late = backup(Instant.parse("2026-11-03T23:30:00Z"), 1);
    Candidate next = backup(Instant.parse("2026-11-04T12:00:00Z"), 2);
    RetentionPolicy berlinDaily = new RetentionPolicy(0, 1, 0, 0, ZoneId.of("Europe/Berlin"));
    RetentionPolicy utcDaily = new RetentionPolicy(0, 2, 0, 0, ZoneOffset.UTC);
    Instant later = Instant.parse("2026-12-01T00:00:00Z");

    Plan berlin = Retention.decide(List.of(late, next), berlinDaily, later);
    Plan utc = Retention.decide(List.of(late, next), utcDaily, later);

    assertThat(berlin.removed()).extracting(d -> d.backup().id()).containsExactly(late.id());
    assertThat(labels(berlin, Rule.DAILY)).containsExactly("daily 2026-11-04");
    assertThat(labels(utc, Rule.DAILY))
        .containsExactlyInAnyOrder("daily 2026-11-03", "daily 2026-11-04");
  }

  @Test
  void decide_weekly_usesIsoWeeksAcrossTheYearEnd() {
    // 2026 has 53 ISO weeks: Friday 1 January 2027 still belongs to 2026-W53
    Candidate c = backup(Instant.parse("2027-01-01T12:00:00Z"), 1);
    RetentionPolicy weekly = new RetentionPolicy(0, 0, 1, 0, ZoneOffset.UTC);

    Plan plan = Retention.decide(List.of(c), weekly, Instant.parse("2027-03-01T00:00:00Z"));

    assertThat(labels(plan, Rule.WEEKLY)).containsExactly("weekly 2026-W53");
  }

  @Test
  void decide_keepLast_keepsTheNewestWithTheirRank() {
    RetentionPolicy last = new RetentionPolicy(3, 0, 0, 0, ZoneOffset.UTC);

    Plan plan = Retention.decide(daily(LocalDate.of(2026, 11, 24), 10), last, NOW);

    assertThat(plan.kept())
        .extracting(d -> d.reasons().get(0).text())
        .containsExactly("last 1", "last 2", "last 3");
  }

  @Test
  void decide_backupsFromTheFutureByMinutes_areKeptAndChangeNothingElse() {
    List<Candidate> history = new ArrayList<>(daily(LocalDate.of(2026, 11, 23), 100));
    Candidate ahead = backup(NOW.plus(Duration.ofMinutes(4)), 999);
    history.add(ahead);

    Plan plan = Retention.decide(history, RetentionPolicy.DEFAULT, NOW);

    assertThat(plan.decision(ahead.id()).orElseThrow().reasons())
        .extracting(Reason::text)
        .containsExactly("daily 2026-11-24", "monthly 2026-11", "inside the daily window");
    assertThat(labels(plan, Rule.DAILY)).hasSize(30);
    assertThat(plan.removed())
        .allMatch(d -> d.backup().time().isBefore(NOW.minus(Duration.ofDays(30))));
  }

  @Test
  void decide_inputOrder_doesNotChangeThePlan() {
    List<Candidate> history = new ArrayList<>(daily(LocalDate.of(2026, 11, 24), 120));
    Plan sorted = Retention.decide(history, RetentionPolicy.DEFAULT, NOW);
    Collections.shuffle(history, new Random(7));

    assertThat(Retention.decide(history, RetentionPolicy.DEFAULT, NOW)).isEqualTo(sorted);
  }

  @Test
  void decide_sameIdTwice_failsNamingIt() {
    Candidate c = backup(Instant.parse("2026-11-01T02:00:00Z"), 1);

    assertThatThrownBy(() -> Retention.decide(List.of(c, c), RetentionPolicy.DEFAULT, NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backup '20261101T020000Z-000001' is listed twice");
  }

  @Test
  void plan_toString_listsThePolicyEachBackupAndTheTotals() {
    Plan plan =
        Retention.decide(
            daily(LocalDate.of(2026, 11, 24), 2),
            new RetentionPolicy(0, 1, 0, 0, ZoneOffset.UTC),
            Instant.parse("2026-12-24T00:00:00Z"));

    assertThat(plan.toString())
        .isEqualTo(
            "keep the last 0, 1 daily, 0 weekly and 0 monthly backups (UTC) at 2026-12-24T00:00:00Z\n"
                + "  keep   20261124T020000Z-000000 (daily 2026-11-24)\n"
                + "  remove 20261123T020000Z-000001\n"
                + "keep 1, remove 1");
  }
}
