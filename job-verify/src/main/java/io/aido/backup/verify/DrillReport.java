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
 * last, create-only, like a record) and rendered as a table, Markdown or HTML.
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

  /** The table printed at the end of a drill. */
  String table() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%-10s %-26s %-8s %10s  %-24s %10s%n",
            "step",
            "backup",
            "result",
            "RTO",
            "recovery point",
            "RPO"));
    for (DrillStep s : steps) {
      Double age = s.rpoSeconds(startedAt);
      b.append(
          String.format(
              Locale.ROOT,
              "%-10s %-26s %-8s %10s  %-24s %10s%n",
              s.component(),
              s.backup() == null ? "-" : s.backup(),
              s.status().name().toLowerCase(Locale.ROOT),
              s.restoreSeconds() == null ? "-" : seconds(s.restoreSeconds()),
              s.recoveryPoint() == null ? "-" : s.recoveryPoint().toString(),
              age == null ? "-" : seconds(age)));
    }
    for (DrillStep s : steps) {
      for (String c : s.checks()) {
        b.append("  ").append(s.component()).append(": ").append(c).append(System.lineSeparator());
      }
    }
    b.append(summary()).append(System.lineSeparator());
    for (DrillStep s : steps) {
      for (String p : s.problems()) {
        b.append("  ").append(s.component()).append(": ").append(p).append(System.lineSeparator());
      }
      for (String l : s.leftovers()) {
        b.append("  ")
            .append(s.component())
            .append(": left behind: ")
            .append(l)
            .append(System.lineSeparator());
      }
    }
    for (String m : missed) {
      b.append("  objective missed: ").append(m).append(System.lineSeparator());
    }
    return b.toString();
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

  /** The report in Markdown: the summary, a table of the steps, problems and objectives missed. */
  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Disaster-recovery drill ").append(startedAt).append("\n\n");
    b.append(summary()).append("\n\n");
    b.append("| step | backup | result | RTO | recovery point | RPO | checks |\n");
    b.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (DrillStep s : steps) {
      Double age = s.rpoSeconds(startedAt);
      b.append("| ")
          .append(s.component())
          .append(" | ")
          .append(s.backup() == null ? "-" : s.backup())
          .append(" | ")
          .append(s.status().name().toLowerCase(Locale.ROOT))
          .append(" | ")
          .append(s.restoreSeconds() == null ? "-" : seconds(s.restoreSeconds()))
          .append(" | ")
          .append(s.recoveryPoint() == null ? "-" : s.recoveryPoint().toString())
          .append(" | ")
          .append(age == null ? "-" : seconds(age))
          .append(" | ")
          .append(String.join("; ", s.checks()).replace("|", "\\|"))
          .append(" |\n");
    }
    List<String> notes = new ArrayList<>();
    for (DrillStep s : steps) {
      s.problems().forEach(p -> notes.add(s.component() + ": " + p));
      s.leftovers().forEach(l -> notes.add(s.component() + ": left behind: " + l));
    }
    missed.forEach(m -> notes.add("objective missed: " + m));
    if (!notes.isEmpty()) {
      b.append("\n");
      notes.forEach(n -> b.append("- ").append(n).append("\n"));
    }
    return b.toString();
  }

  /** The report as a small HTML page, for people. */
  String html() {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Drill ")
        .append(escape(startedAt.toString()))
        .append("</title></head><body>\n<h1>Disaster-recovery drill ")
        .append(escape(startedAt.toString()))
        .append("</h1>\n<p>")
        .append(escape(summary()))
        .append("</p>\n<table border=\"1\" cellpadding=\"4\">\n<tr><th>step</th><th>backup</th>")
        .append("<th>result</th><th>RTO</th><th>recovery point</th><th>RPO</th><th>checks</th>")
        .append("<th>problems</th></tr>\n");
    for (DrillStep s : steps) {
      Double age = s.rpoSeconds(startedAt);
      b.append("<tr><td>")
          .append(escape(s.component()))
          .append("</td><td>")
          .append(escape(s.backup() == null ? "-" : s.backup()))
          .append("</td><td>")
          .append(escape(s.status().name().toLowerCase(Locale.ROOT)))
          .append("</td><td>")
          .append(escape(s.restoreSeconds() == null ? "-" : seconds(s.restoreSeconds())))
          .append("</td><td>")
          .append(escape(s.recoveryPoint() == null ? "-" : s.recoveryPoint().toString()))
          .append("</td><td>")
          .append(escape(age == null ? "-" : seconds(age)))
          .append("</td><td>")
          .append(escape(String.join("; ", s.checks())))
          .append("</td><td>")
          .append(escape(String.join("; ", s.problems())))
          .append("</td></tr>\n");
    }
    b.append("</table>\n");
    if (!missed.isEmpty() || !leftovers().isEmpty()) {
      b.append("<ul>\n");
      missed.forEach(m -> b.append("<li>objective missed: ").append(escape(m)).append("</li>\n"));
      leftovers().forEach(l -> b.append("<li>left behind: ").append(escape(l)).append("</li>\n"));
      b.append("</ul>\n");
    }
    return b.append("</body></html>\n").toString();
  }

  /**
   * One row of the runbook's results table from a stored report: date, backups, the time of the
   * manifests, database and Dapr steps, the total, and the outcome with the recovery points.
   */
  static String runbookRow(JsonNode report) {
    Map<String, JsonNode> steps = new LinkedHashMap<>();
    for (JsonNode s : report.path("steps")) {
      steps.put(s.path("component").asText(), s);
    }
    String backups =
        String.join(
            " / ",
            List.of("dump", "pitr", "manifests", "dapr").stream()
                .map(c -> steps.containsKey(c) ? steps.get(c).path("backup").asText("-") : "-")
                .map(id -> id.equals("null") || id.isEmpty() ? "-" : id)
                .toList());
    double database = time(steps.get("dump")) + time(steps.get("pitr"));
    StringBuilder notes = new StringBuilder(report.path("outcome").asText());
    report
        .path("rpoSeconds")
        .fields()
        .forEachRemaining(
            e ->
                notes
                    .append(", RPO ")
                    .append(e.getKey())
                    .append(" ")
                    .append(seconds(e.getValue().asDouble())));
    for (JsonNode m : report.path("missed")) {
      notes.append("; ").append(m.asText());
    }
    return "| "
        + report.path("startedAt").asText()
        + " | "
        + backups
        + " | "
        + seconds(time(steps.get("manifests")))
        + " | "
        + seconds(database)
        + " | "
        + seconds(time(steps.get("dapr")))
        + " | - | "
        + seconds(report.path("rtoSeconds").asDouble())
        + " | "
        + notes.toString().replace("|", "\\|")
        + " |";
  }

  static JsonNode read(byte[] json) throws IOException {
    return JSON.readTree(json);
  }

  private static double time(JsonNode step) {
    return step == null ? 0 : step.path("rtoSeconds").asDouble(0);
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

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
