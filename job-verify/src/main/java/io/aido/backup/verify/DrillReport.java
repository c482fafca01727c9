package io.aido.backup.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.aido.backup.core.cli.ExitCodes;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A drill's report: every step, the recovery time of the restores together and the recovery point
 * of each component, judged against the objectives. Stored as {@code drills/<time>.json} (written
 * last, create-only, like a record) and rendered as a table, Markdown or HTML ({@link
 * DrillReportPages}).
 *
 * <p>Judgement: the total recovery time is the sum of the steps' restore times (a person restoring
 * the site runs them one after the other). A component's recovery point counts only from a step
 * that passed; the database's is the newer of the dump's and the point-in-time restore's. A judged
 * component without a passed step misses its recovery-point objective. Outcome {@code error} (exit
 * 1) when a step could not run or a scratch object was left; else {@code failed} (exit 3) when a
 * step failed or an objective was missed; else {@code passed} (exit 0).
 *
 * @param startedAt when the drill started: recovery points are aged from here
 * @param judged the components whose recovery point is judged (those not skipped by option)
 * @param missed one line per objective missed
 */
record DrillReport(
    Instant startedAt,
    Instant finishedAt,
    DrillObjectives objectives,
    List<DrillStep> steps,
    Set<String> judged,
    List<String> missed) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  DrillReport {
    steps = List.copyOf(steps);
    judged = Set.copyOf(judged);
    missed = List.copyOf(missed);
  }

  /** Judges {@code steps} against {@code objectives}. */
  static DrillReport judge(
      Instant startedAt,
      Instant finishedAt,
      DrillObjectives objectives,
      List<DrillStep> steps,
      Set<String> judged) {
    DrillReport draft =
        new DrillReport(startedAt, finishedAt, objectives, steps, judged, List.of());
    List<String> missed = new ArrayList<>();
    double total = draft.totalRtoSeconds();
    if (total > objectives.rto().toMillis() / 1000.0) {
      missed.add(
          "recovery time "
              + seconds(total)
              + " exceeds the objective of "
              + DrillObjectives.format(objectives.rto()));
    }
    Map<String, Double> rpo = draft.rpoSeconds();
    objectives
        .rpo()
        .forEach(
            (component, limit) -> {
              if (!judged.contains(component)) {
                return;
              }
              Double age = rpo.get(component);
              if (age == null) {
                missed.add(
                    "recovery point of "
                        + component
                        + ": nothing of it was restored correctly (objective "
                        + DrillObjectives.format(limit)
                        + ")");
              } else if (age > limit.toMillis() / 1000.0) {
                missed.add(
                    "recovery point of "
                        + component
                        + ": its restored data is "
                        + seconds(age)
                        + " old, more than the objective of "
                        + DrillObjectives.format(limit));
              }
            });
    return new DrillReport(startedAt, finishedAt, objectives, steps, judged, missed);
  }

  /** The restores' times together. */
  double totalRtoSeconds() {
    return steps.stream()
        .filter(s -> s.restoreSeconds() != null)
        .mapToDouble(DrillStep::restoreSeconds)
        .sum();
  }

  /**
   * The recovery point's age of each step that passed ({@code dump}, {@code pitr}, {@code dapr},
   * {@code manifests}) and of the {@code database} (the newer of dump and pitr).
   */
  Map<String, Double> rpoSeconds() {
    Map<String, Double> rpo = new LinkedHashMap<>();
    for (DrillStep s : steps) {
      Double age = s.status() == DrillStep.Status.PASSED ? s.rpoSeconds(startedAt) : null;
      if (age != null) {
        rpo.put(s.component(), age);
      }
    }
    Double dump = rpo.get("dump");
    Double pitr = rpo.get("pitr");
    if (dump != null || pitr != null) {
      rpo.put(
          "database",
          Math.min(dump == null ? Double.MAX_VALUE : dump, pitr == null ? Double.MAX_VALUE : pitr));
    }
    return rpo;
  }

  List<String> leftovers() {
    return steps.stream().flatMap(s -> s.leftovers().stream()).toList();
  }

  /** {@code passed}, {@code failed} or {@code error}. */
  String outcome() {
    boolean error =
        steps.stream().anyMatch(s -> s.status() == DrillStep.Status.ERROR)
            || !leftovers().isEmpty();
    if (error) {
      return "error";
    }
    boolean failed =
        steps.stream().anyMatch(s -> s.status() == DrillStep.Status.FAILED) || !missed.isEmpty();
    return failed ? "failed" : "passed";
  }

  int exitCode() {
    return switch (outcome()) {
      case "passed" -> ExitCodes.DONE;
      case "failed" -> ExitCodes.VERIFICATION_FAILED;
      default -> ExitCodes.FAILED;
    };
  }

  /** The report as stored. */
  byte[] toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", 1);
    m.put("startedAt", startedAt.toString());
    m.put("finishedAt", finishedAt.toString());
    m.put("outcome", outcome());
    m.put("exitCode", exitCode());
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("rtoSeconds", objectives.rto().toSeconds());
    Map<String, Object> rpoLimits = new LinkedHashMap<>();
    objectives.rpo().forEach((k, v) -> rpoLimits.put(k, v.toSeconds()));
    o.put("rpoSeconds", rpoLimits);
    m.put("objectives", o);
    m.put("rtoSeconds", round(totalRtoSeconds()));
    Map<String, Object> rpo = new LinkedHashMap<>();
    rpoSeconds().forEach((k, v) -> rpo.put(k, round(v)));
    m.put("rpoSeconds", rpo);
    m.put("judged", judged.stream().sorted().toList());
    m.put("missed", missed);
    List<Map<String, Object>> list = new ArrayList<>();
    for (DrillStep s : steps) {
      Map<String, Object> step = new LinkedHashMap<>();
      step.put("component", s.component());
      step.put("backup", s.backup());
      step.put("status", s.status().name().toLowerCase(Locale.ROOT));
      step.put("rtoSeconds", s.restoreSeconds() == null ? null : round(s.restoreSeconds()));
      step.put("recoveryPoint", s.recoveryPoint() == null ? null : s.recoveryPoint().toString());
      Double age = s.rpoSeconds(startedAt);
      step.put("rpoSeconds", age == null ? null : round(age));
      step.put("checks", s.checks());
      step.put("problems", s.problems());
      step.put("leftovers", s.leftovers());
      list.add(step);
    }
    m.put("steps", list);
    try {
      return JSON.writeValueAsBytes(m);
    } catch (IOException e) {
      throw new IllegalStateException("unable to write a drill report as JSON", e);
    }
  }

  /** One line: the outcome, the total recovery time and each recovery point against its limit. */
  String summary() {
    StringBuilder b = new StringBuilder();
    b.append("drill ")
        .append(outcome())
        .append(": recovery time ")
        .append(seconds(totalRtoSeconds()))
        .append(" (objective ")
        .append(DrillObjectives.format(objectives.rto()))
        .append(")");
    Map<String, Double> rpo = rpoSeconds();
    objectives
        .rpo()
        .forEach(
            (component, limit) -> {
              Double age = rpo.get(component);
              b.append("; recovery point of ")
                  .append(component)
                  .append(" ")
                  .append(age == null ? "unknown" : seconds(age))
                  .append(" (objective ")
                  .append(DrillObjectives.format(limit))
                  .append(judged.contains(component) ? "" : ", not judged")
                  .append(")");
            });
    return b.toString();
  }

  static JsonNode read(byte[] json) throws IOException {
    return JSON.readTree(json);
  }

  /** {@code 4.2 s}, {@code 12m 5s}, {@code 3h 2m}: as people read durations. */
  static String seconds(double s) {
    if (s < 60) {
      return String.format(Locale.ROOT, "%.1f s", s);
    }
    Duration d = Duration.ofMillis((long) (s * 1000));
    if (d.toHours() > 0) {
      return d.toHours() + "h " + d.toMinutesPart() + "m";
    }
    return d.toMinutes() + "m " + d.toSecondsPart() + "s";
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
