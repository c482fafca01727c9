package io.aido.backup.verify;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What one step of a drill found: which backup it restored, how long the restore took (its recovery
 * time), how old the restored data is (its recovery point), what it checked, and what it left
 * behind.
 *
 * @param component {@code dump}, {@code pitr}, {@code dapr} or {@code manifests}
 * @param backup the backup restored, null when there was none
 * @param status how the step ended
 * @param restoreSeconds the restore's time (the step's RTO), null when it did not restore
 * @param recoveryPoint the moment the restored data is from, null when unknown
 * @param checks one line per check that passed (counts compared with the record, ...)
 * @param problems one line per problem; a {@link Status#FAILED} or {@link Status#ERROR} step has
 *     one at least
 * @param leftovers scratch objects the step could not remove, with why
 */
record DrillStep(
    String component,
    String backup,
    Status status,
    Double restoreSeconds,
    Instant recoveryPoint,
    List<String> checks,
    List<String> problems,
    List<String> leftovers) {

  DrillStep {
    checks = List.copyOf(checks);
    problems = List.copyOf(problems);
    leftovers = List.copyOf(leftovers);
  }

  /** How a step ended. */
  enum Status {
    /** Restored and every check passed. */
    PASSED,
    /** The restore was wrong: a backup that does not restore, a count that differs. */
    FAILED,
    /** The step could not run: a scratch server unreachable, a tool missing. */
    ERROR,
    /** Not run: no backup of its kind, or {@code --skip}. */
    SKIPPED
  }

  /** The recovery point's age at {@code drillStart}: the step's RPO; null when unknown. */
  Double rpoSeconds(Instant drillStart) {
    return recoveryPoint == null
        ? null
        : Math.max(0, Duration.between(recoveryPoint, drillStart).toMillis() / 1000.0);
  }

  /** Collects a step's findings while it runs. */
  static final class Log {
    private final String component;
    private String backup;
    private Double restoreSeconds;
    private Instant recoveryPoint;
    private final List<String> checks = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> leftovers = new ArrayList<>();
    private boolean error;

    Log(String component) {
      this.component = component;
    }

    String component() {
      return component;
    }

    void backup(String id) {
      backup = id;
    }

    void restored(Duration took) {
      restoreSeconds = took.toMillis() / 1000.0;
    }

    void recoveryPoint(Instant at) {
      recoveryPoint = at;
    }

    void check(String line) {
      checks.add(line);
    }

    /** The restore was wrong. */
    void problem(String line) {
      problems.add(line);
    }

    /** The step could not run. */
    void error(String line) {
      problems.add(line);
      error = true;
    }

    void leftover(String line) {
      leftovers.add(line);
    }

    DrillStep result() {
      Status status = error ? Status.ERROR : problems.isEmpty() ? Status.PASSED : Status.FAILED;
      return new DrillStep(
          component, backup, status, restoreSeconds, recoveryPoint, checks, problems, leftovers);
    }

    static DrillStep skipped(String component, String why) {
      return new DrillStep(
          component, null, Status.SKIPPED, null, null, List.of(why), List.of(), List.of());
    }
  }
}
