package io.aido.backup.verify;

import io.aido.backup.core.observability.RunMetrics;
import java.util.Map;

/**
 * A drill's metrics, for the Pushgateway (pushed as command {@code drill}): {@code
 * backup_drill_rto_seconds{component}} for each step that restored and {@code total}, {@code
 * backup_drill_rpo_seconds{component}} for each step whose restore passed and for the {@code
 * database}, {@code backup_drill_success} (1 when every step passed and every objective held),
 * {@code backup_drill_last_success_timestamp_seconds} (when it passed), {@code
 * backup_drill_objective_rto_seconds} and {@code backup_drill_leftovers}.
 */
final class DrillMetrics {
  private DrillMetrics() {}

  static void record(RunMetrics m, DrillReport report) {
    for (DrillStep s : report.steps()) {
      if (s.restoreSeconds() != null) {
        rto(m, s.component(), s.restoreSeconds());
      }
    }
    rto(m, "total", report.totalRtoSeconds());
    report
        .rpoSeconds()
        .forEach(
            (component, seconds) ->
                m.gauge(
                    "backup_drill_rpo_seconds",
                    "How old the data a drill restored of this component was: its recovery point.",
                    seconds,
                    Map.of("component", component)));
    m.gauge(
        "backup_drill_success",
        "1 when the last drill restored everything correctly and met every objective, else 0.",
        report.outcome().equals("passed") ? 1 : 0);
    if (report.outcome().equals("passed")) {
      m.gauge(
          "backup_drill_last_success_timestamp_seconds",
          "When a drill last passed.",
          report.finishedAt().toEpochMilli() / 1000.0);
    }
    m.gauge(
        "backup_drill_objective_rto_seconds",
        "The recovery-time objective the last drill was judged by.",
        report.objectives().rto().toSeconds());
    m.gauge(
        "backup_drill_leftovers",
        "Scratch objects the last drill could not remove.",
        report.leftovers().size());
  }

  private static void rto(RunMetrics m, String component, double seconds) {
    m.gauge(
        "backup_drill_rto_seconds",
        "How long a drill's restore of this component took: its recovery time.",
        seconds,
        Map.of("component", component));
  }
}
