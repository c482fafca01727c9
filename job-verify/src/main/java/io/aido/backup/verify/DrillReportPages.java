package io.aido.backup.verify;

import static io.aido.backup.verify.DrillReport.seconds;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link DrillReport} rendered for people: the table printed at the end of a drill, a Markdown
 * page, a small HTML page, and the runbook's results table built from stored reports.
 *
 * <p>Every rendering shows each step with the same cells (step, backup, result, RTO, recovery
 * point, RPO; {@code -} for what is unknown), then the report's {@link DrillReport#summary()} and
 * its notes: each step's problems and scratch objects left behind, and each objective missed.
 */
final class DrillReportPages {
  private static final String TABLE_ROW = "%-10s %-26s %-8s %10s  %-24s %10s%n";

  private DrillReportPages() {}

  /** The table printed at the end of a drill. */
  static String table(DrillReport report) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT, TABLE_ROW, "step", "backup", "result", "RTO", "recovery point", "RPO"));
    for (DrillStep s : report.steps()) {
      b.append(String.format(Locale.ROOT, TABLE_ROW, cells(report, s).toArray()));
    }
    for (DrillStep s : report.steps()) {
      for (String c : s.checks()) {
        b.append("  ").append(s.component()).append(": ").append(c).append(System.lineSeparator());
      }
    }
    b.append(report.summary()).append(System.lineSeparator());
    for (String n : notes(report)) {
      b.append("  ").append(n).append(System.lineSeparator());
    }
    return b.toString();
  }

  /** The report in Markdown: the summary, a table of the steps, problems and objectives missed. */
  static String markdown(DrillReport report) {
    StringBuilder b = new StringBuilder();
    b.append("# Disaster-recovery drill ").append(report.startedAt()).append("\n\n");
    b.append(report.summary()).append("\n\n");
    b.append("| step | backup | result | RTO | recovery point | RPO | checks |\n");
    b.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    for (DrillStep s : report.steps()) {
      b.append("| ")
          .append(String.join(" | ", cells(report, s)))
          .append(" | ")
          .append(String.join("; ", s.checks()).replace("|", "\\|"))
          .append(" |\n");
    }
    List<String> notes = notes(report);
    if (!notes.isEmpty()) {
      b.append("\n");
      notes.forEach(n -> b.append("- ").append(n).append("\n"));
    }
    return b.toString();
  }

  /** The report as a small HTML page, for people. */
  static String html(DrillReport report) {
    String started = escape(report.startedAt().toString());
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Drill ")
        .append(started)
        .append("</title></head><body>\n<h1>Disaster-recovery drill ")
        .append(started)
        .append("</h1>\n<p>")
        .append(escape(report.summary()))
        .append("</p>\n<table border=\"1\" cellpadding=\"4\">\n<tr><th>step</th><th>backup</th>")
        .append("<th>result</th><th>RTO</th><th>recovery point</th><th>RPO</th><th>checks</th>")
        .append("<th>problems</th></tr>\n");
    for (DrillStep s : report.steps()) {
      b.append("<tr>");
      for (String cell : cells(report, s)) {
        b.append("<td>").append(escape(cell)).append("</td>");
      }
      b.append("<td>")
          .append(escape(String.join("; ", s.checks())))
          .append("</td><td>")
          .append(escape(String.join("; ", s.problems())))
          .append("</td></tr>\n");
    }
    b.append("</table>\n");
    List<String> leftovers = report.leftovers();
    if (!report.missed().isEmpty() || !leftovers.isEmpty()) {
      b.append("<ul>\n");
      report
          .missed()
          .forEach(m -> b.append("<li>objective missed: ").append(escape(m)).append("</li>\n"));
      leftovers.forEach(l -> b.append("<li>left behind: ").append(escape(l)).append("</li>\n"));
      b.append("</ul>\n");
    }
    return b.append("</body></html>\n").toString();
  }

  /** The header lines of the runbook's results table, whose rows {@link #runbookRow} gives. */
  static String runbookHeader() {
    return "| date | backups (dump / base / manifests / dapr) | manifests | database | Dapr |"
        + " application | total | notes |"
        + System.lineSeparator()
        + "| --- | --- | --- | --- | --- | --- | --- | --- |"
        + System.lineSeparator();
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

  /** A step's cells: step, backup, result, RTO, recovery point and RPO; {@code -} when unknown. */
  private static List<String> cells(DrillReport report, DrillStep s) {
    Double age = s.rpoSeconds(report.startedAt());
    return List.of(
        s.component(),
        s.backup() == null ? "-" : s.backup(),
        s.status().name().toLowerCase(Locale.ROOT),
        s.restoreSeconds() == null ? "-" : seconds(s.restoreSeconds()),
        s.recoveryPoint() == null ? "-" : s.recoveryPoint().toString(),
        age == null ? "-" : seconds(age));
  }

  /** Each step's problems and scratch objects left behind, then each objective missed. */
  private static List<String> notes(DrillReport report) {
    List<String> notes = new ArrayList<>();
    for (DrillStep s : report.steps()) {
      s.problems().forEach(p -> notes.add(s.component() + ": " + p));
      s.leftovers().forEach(l -> notes.add(s.component() + ": left behind: " + l));
    }
    report.missed().forEach(m -> notes.add("objective missed: " + m));
    return notes;
  }

  private static double time(JsonNode step) {
    return step == null ? 0 : step.path("rtoSeconds").asDouble(0);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
