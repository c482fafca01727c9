package io.aido.backup.core.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.retention.Reason.Rule;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The invariants of {@link Retention#decide} over thousands of random histories: backups at random
 * times over two years or one a day with random gaps, random verification and in-use states, and up
 * to ten minutes of clock skew (backups timestamped after {@code now}).
 */
class RetentionPropertiesTest {
  private static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");
  private static final long TWO_YEARS = Duration.ofDays(2 * 365).toSeconds();
  private static final long SKEW = Duration.ofMinutes(10).toSeconds();
  private static final List<ZoneId> ZONES =
      List.of(
          ZoneOffset.UTC,
          ZoneId.of("Europe/Berlin"),
          ZoneId.of("America/Los_Angeles"),
          ZoneId.of("Asia/Kolkata"),
          ZoneId.of("Pacific/Chatham"));

  /** One backup, {@code secondsBeforeNow} before the history's {@code now} (negative: skew). */
  record Entry(long secondsBeforeNow, boolean verified, boolean inUse) {}

  record History(Instant now, List<Candidate> backups) {
    static History of(Instant now, List<Entry> entries) {
      List<Candidate> list = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        Entry e = entries.get(i);
        Instant t = now.minusSeconds(e.secondsBeforeNow());
        list.add(Histories.backup(t, i, e.verified(), e.inUse()));
      }
      return new History(now, list);
    }

    @Override
    public String toString() {
      return backups.size() + " backups at " + now;
    }
  }

  @Property(tries = 3000)
  void decide_randomPolicyAndHistory_invariantsHold(
      @ForAll("histories") History h, @ForAll("policies") RetentionPolicy policy) {
    Plan plan = Retention.decide(h.backups(), policy, h.now());

    assertInvariants(h, policy, plan);
  }

  @Property(tries = 1000)
  void decide_defaultPolicyAndRandomHistory_invariantsHold(@ForAll("histories") History h) {
    Plan plan = Retention.decide(h.backups(), RetentionPolicy.DEFAULT, h.now());

    assertInvariants(h, RetentionPolicy.DEFAULT, plan);
  }

  @Property(tries = 300)
  void decide_shuffledInput_samePlan(
      @ForAll("histories") History h, @ForAll("policies") RetentionPolicy policy) {
    List<Candidate> shuffled = new ArrayList<>(h.backups());
    Collections.shuffle(shuffled, new Random(h.backups().size()));

    assertThat(Retention.decide(shuffled, policy, h.now()))
        .isEqualTo(Retention.decide(h.backups(), policy, h.now()));
  }

  private static void assertInvariants(History h, RetentionPolicy policy, Plan plan) {
    List<Candidate> input = h.backups();
    Set<BackupId> kept = plan.kept().stream().map(d -> d.backup().id()).collect(Collectors.toSet());

    assertThat(plan.decisions())
        .extracting(Decision::backup)
        .containsExactlyInAnyOrderElementsOf(input);

    input.stream()
        .filter(Candidate::verified)
        .min(Candidate.NEWEST_FIRST)
        .ifPresent(v -> assertThat(kept).as("newest verified %s", v.id()).contains(v.id()));

    input.stream()
        .filter(Candidate::inUse)
        .forEach(c -> assertThat(kept).as("in use %s", c.id()).contains(c.id()));

    if (policy.keepDaily() > 0) {
      Instant windowStart =
          ZonedDateTime.ofInstant(h.now(), policy.zone()).minusDays(policy.keepDaily()).toInstant();
      assertThat(plan.removed())
          .as("removed inside the daily window starting %s", windowStart)
          .allMatch(d -> !d.backup().time().isAfter(windowStart));
    }

    if (!input.isEmpty()) {
      assertThat(plan.kept()).as("something survives").isNotEmpty();
    }
    boolean nothingKeeps =
        policy.keepsNothing() && input.stream().noneMatch(c -> c.verified() || c.inUse());
    assertThat(plan.refused()).isEqualTo(!input.isEmpty() && nothingKeeps);
    if (plan.refused()) {
      assertThat(plan.removed()).isEmpty();
    }

    List<Candidate> newestFirst = input.stream().sorted(Candidate.NEWEST_FIRST).toList();
    assertThat(withRule(plan, Rule.LAST))
        .containsExactlyInAnyOrderElementsOf(
            newestFirst.subList(0, Math.min(policy.keepLast(), newestFirst.size())));
    ZoneId zone = policy.zone();
    assertPeriods(
        plan, Rule.DAILY, policy.keepDaily(), input, t -> LocalDate.ofInstant(t, zone).toString());
    assertPeriods(
        plan,
        Rule.WEEKLY,
        policy.keepWeekly(),
        input,
        t -> Retention.isoWeek(LocalDate.ofInstant(t, zone)));
    assertPeriods(
        plan,
        Rule.MONTHLY,
        policy.keepMonthly(),
        input,
        t -> YearMonth.from(LocalDate.ofInstant(t, zone)).toString());
  }

  /**
   * An independent model of a period rule: the newest backup of each of the {@code count} most
   * recent periods (period names sort like their time).
   */
  private static void assertPeriods(
      Plan plan, Rule rule, int count, List<Candidate> input, Function<Instant, String> period) {
    TreeMap<String, Candidate> newestPerPeriod = new TreeMap<>(Comparator.reverseOrder());
    for (Candidate c : input) {
      newestPerPeriod.merge(
          period.apply(c.time()), c, (a, b) -> Candidate.NEWEST_FIRST.compare(a, b) <= 0 ? a : b);
    }
    List<Candidate> expected = newestPerPeriod.values().stream().limit(count).toList();
    assertThat(withRule(plan, rule)).as(rule.name()).containsExactlyInAnyOrderElementsOf(expected);
  }

  private static List<Candidate> withRule(Plan plan, Rule rule) {
    return plan.decisions().stream().filter(d -> d.keptBy(rule)).map(Decision::backup).toList();
  }

  @Provide
  Arbitrary<RetentionPolicy> policies() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 40),
            Arbitraries.integers().between(0, 10),
            Arbitraries.integers().between(0, 15),
            Arbitraries.of(ZONES))
        .as(RetentionPolicy::new);
  }

  @Provide
  Arbitrary<History> histories() {
    Arbitrary<Instant> nows =
        Arbitraries.longs().between(0, Duration.ofDays(3 * 365).toSeconds()).map(BASE::plusSeconds);
    return Combinators.combine(nows, Arbitraries.oneOf(scattered(), dailyWithGaps()))
        .as(History::of);
  }

  private static Arbitrary<Boolean> verified() {
    return Arbitraries.frequency(Tuple.of(3, false), Tuple.of(1, true));
  }

  private static Arbitrary<Boolean> inUse() {
    return Arbitraries.frequency(Tuple.of(19, false), Tuple.of(1, true));
  }

  /** Up to 200 backups at random times over two years, some up to ten minutes in the future. */
  private static Arbitrary<List<Entry>> scattered() {
    return Combinators.combine(Arbitraries.longs().between(-SKEW, TWO_YEARS), verified(), inUse())
        .as(Entry::new)
        .list()
        .ofMaxSize(200);
  }

  /**
   * One backup a day (at a random time of day, the newest up to ten minutes in the future) for up
   * to two years, each day missing with probability one in five, and now and then a second backup
   * the same day.
   */
  private static Arbitrary<List<Entry>> dailyWithGaps() {
    Arbitrary<Long> timeOfDay =
        Arbitraries.longs().between(-SKEW, Duration.ofHours(23).toSeconds());
    return timeOfDay.flatMap(
        offset ->
            Combinators.combine(
                    Arbitraries.frequency(Tuple.of(4, 1), Tuple.of(1, 0), Tuple.of(1, 2)),
                    verified(),
                    inUse())
                .as((copies, v, u) -> Tuple.of(copies, v, u))
                .list()
                .ofMinSize(1)
                .ofMaxSize(730)
                .map(
                    days -> {
                      List<Entry> entries = new ArrayList<>();
                      for (int d = 0; d < days.size(); d++) {
                        for (int copy = 0; copy < days.get(d).get1(); copy++) {
                          long seconds = d * 86_400L + offset + copy * 3_600L;
                          entries.add(new Entry(seconds, days.get(d).get2(), days.get(d).get3()));
                        }
                      }
                      return entries;
                    }));
  }
}
