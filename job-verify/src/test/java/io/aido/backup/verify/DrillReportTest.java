package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DrillReportTest {
  private static final Instant START = Instant.parse("2026-12-05T12:00:00Z");

  private static DrillStep step(
      String component, DrillStep.Status status, double rto, long ageSeconds) {
    return new DrillStep(
        component,
        "20261205T110000Z-abcdef",
        status,
        rto,
        START.minusSeconds(ageSeconds),
        List.of("checked"),
        status == DrillStep.Status.PASSED ? List.of() : List.of("broken"),
        List.of());
  }

  private static DrillReport judge(DrillObjectives o, DrillStep... steps) {
    return DrillReport.judge(
        START, START.plusSeconds(60), o, List.of(steps), Set.of("database", "dapr"));
  }

  @Test
  void judge_everyStepPassedWithinObjectives_passesWithTheNewerDatabasePoint() {
    DrillReport r =
        judge(
            DrillObjectives.parse("1h", List.of()),
            step("dump", DrillStep.Status.PASSED, 20, 3600),
            step("pitr", DrillStep.Status.PASSED, 10, 30),
            step("dapr", DrillStep.Status.PASSED, 1, 600));

    assertThat(r.outcome()).isEqualTo("passed");
    assertThat(r.exitCode()).isZero();
    assertThat(r.totalRtoSeconds()).isEqualTo(31.0);
    assertThat(r.rpoSeconds()).containsEntry("database", 30.0).containsEntry("dump", 3600.0);
    assertThat(new String(r.toJson(), StandardCharsets.UTF_8))
        .contains("\"outcome\" : \"passed\"", "\"rtoSeconds\" : 31.0");
    assertThat(DrillReportPages.markdown(r)).contains("| pitr |").contains("drill passed");
    assertThat(DrillReportPages.html(r)).contains("<td>pitr</td>");
  }

  @Test
  void judge_objectivesMissed_failsNamingEach() {
    DrillReport r =
        judge(
            DrillObjectives.parse("10s", List.of("dapr=5m")),
            step("dump", DrillStep.Status.PASSED, 20, 3600),
            step("dapr", DrillStep.Status.PASSED, 1, 600));

    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.missed())
        .anyMatch(m -> m.startsWith("recovery time 21.0 s exceeds the objective of 10s"))
        .anyMatch(m -> m.startsWith("recovery point of database: its restored data is 1h 0m old"))
        .anyMatch(m -> m.startsWith("recovery point of dapr: its restored data is 10m 0s old"));
  }

  @Test
  void judge_aStepThatCouldNotRun_isAnErrorEvenWhenAnotherFailed() {
    DrillReport r =
        judge(
            DrillObjectives.parse("1h", List.of()),
            step("dump", DrillStep.Status.FAILED, 20, 60),
            step("dapr", DrillStep.Status.ERROR, 0, 60));

    assertThat(r.outcome()).isEqualTo("error");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.rpoSeconds()).doesNotContainKey("database");
  }

  @Test
  void parse_badComponentOrDuration_throwsNamingIt() {
    assertThatThrownBy(() -> DrillObjectives.parse("1h", List.of("cache=5m")))
        .hasMessageContaining("'cache' is not a component");
    assertThatThrownBy(() -> DrillObjectives.parse("soon", List.of()))
        .hasMessageContaining("'soon' is not a duration");
    assertThat(DrillObjectives.parse(null, List.of("30m")).rpo())
        .containsEntry("database", Duration.ofMinutes(30))
        .containsEntry("dapr", Duration.ofMinutes(30));
  }
}
