package io.aido.backup.retention;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.retention.Decision;
import io.aido.backup.core.retention.GroupKey;
import io.aido.backup.core.retention.Plan;
import io.aido.backup.core.retention.Removal;
import io.aido.backup.core.retention.RetentionPolicy;
import io.aido.backup.core.retention.RetentionReport;
import io.aido.backup.core.retention.RetentionRun;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.postgres.wal.WalRetention;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code apply}, the job's scheduled action: applies the retention policy to every kind and source
 * in the repository and removes leftovers of failed runs (see {@link RetentionRun} for the order of
 * deletion and what a crash leaves).
 *
 * <p>Output: the plan of each group (every backup, kept with its reasons or removed), one line per
 * removal, and the totals. Exit codes: 0 done, also when the store refused a deletion (a bucket
 * retention policy or hold decides; the refusal is printed and logged as a warning); 1 when a plan
 * was refused (the policy would remove every backup of a group: nothing of that group is removed)
 * or the store failed; 2 bad configuration. Each deletion writes an audit event ({@link AuditLog});
 * a deletion that cannot be audited stops the run.
 */
@Command(
    name = "apply",
    description = {
      "Apply the retention policy: keep the newest backup of each of the last N days, weeks and"
          + " months that have backups, the newest verified backup, backups in use and everything"
          + " inside the daily window; remove the rest, record first, then its data; remove"
          + " leftovers of failed runs older than the grace period.",
      "Refuses (exit 1) to remove every backup of a kind and source."
    })
public final class ApplyCommand extends JobCommand {
  private static final Logger LOG = LoggerFactory.getLogger(ApplyCommand.class);

  @Mixin private RepositoryOptions repository = RepositoryOptions.keyOptional();

  @Option(
      names = "--keep-last",
      paramLabel = "N",
      defaultValue = "0",
      description = "Keep the N newest backups (default ${DEFAULT-VALUE}).")
  private String keepLast;

  @Option(
      names = "--keep-daily",
      paramLabel = "N",
      defaultValue = "30",
      description =
          "Keep the newest backup of each of the last N days that have one, and every backup"
              + " newer than N days (default ${DEFAULT-VALUE}).")
  private String keepDaily;

  @Option(
      names = "--keep-weekly",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Keep the newest backup of each of the last N ISO weeks (default ${DEFAULT-VALUE}).")
  private String keepWeekly;

  @Option(
      names = "--keep-monthly",
      paramLabel = "N",
      defaultValue = "12",
      description =
          "Keep the newest backup of each of the last N months (default ${DEFAULT-VALUE}).")
  private String keepMonthly;

  @Option(
      names = "--time-zone",
      paramLabel = "ZONE",
      defaultValue = "UTC",
      description = "Time zone of the calendar days, weeks and months (default ${DEFAULT-VALUE}).")
  private String timeZone;

  @Option(
      names = "--leftover-grace",
      paramLabel = "DURATION",
      defaultValue = "PT24H",
      description =
          "Remove objects without a record only when older than this, ISO-8601 (default"
              + " ${DEFAULT-VALUE}).")
  private String leftoverGrace;

  @Option(names = "--dry-run", description = "Print the plan; delete nothing.")
  private boolean dryRun;

  @Option(
      names = "--now",
      paramLabel = "TIME",
      description =
          "Apply the policy, the leases and the leftover grace period as if it were TIME"
              + " (ISO-8601, like 2027-01-01T00:00:00Z), for drills; a TIME in the future can treat"
              + " a backup still being written as a leftover, so drill with --dry-run.")
  private String now;

  private RetentionPolicy policy;
  private Duration grace;
  private Instant at;

  @Override
  protected void validate(ConfigProblems problems) {
    int last = count("--keep-last", keepLast, problems);
    int daily = count("--keep-daily", keepDaily, problems);
    int weekly = count("--keep-weekly", keepWeekly, problems);
    int monthly = count("--keep-monthly", keepMonthly, problems);
    ZoneId zone = null;
    try {
      zone = ZoneId.of(timeZone.trim());
    } catch (DateTimeException e) {
      problems.add(
          EnvironmentDefaults.describe("--time-zone"),
          "'" + timeZone + "' is not a time zone (expected like UTC or Europe/Berlin)");
    }
    try {
      grace = Duration.parse(leftoverGrace.trim());
      if (grace.isNegative()) {
        problems.add(EnvironmentDefaults.describe("--leftover-grace"), "must not be negative");
      }
    } catch (DateTimeParseException e) {
      problems.add(
          EnvironmentDefaults.describe("--leftover-grace"),
          "'" + leftoverGrace + "' is not a duration (expected ISO-8601 like PT24H)");
    }
    if (now != null && !now.isBlank()) {
      try {
        at = Instant.parse(now.trim());
      } catch (DateTimeParseException e) {
        problems.add(
            EnvironmentDefaults.describe("--now"),
            "'" + now + "' is not a time (expected ISO-8601 like 2027-01-01T00:00:00Z)");
      }
    }
    if (problems.isEmpty()) {
      policy = new RetentionPolicy(last, daily, weekly, monthly, zone);
    }
  }

  private static int count(String option, String value, ConfigProblems problems) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the negative case
    }
    problems.add(
        EnvironmentDefaults.describe(option),
        "'" + value + "' is not a count (expected 0 or more)");
    return 0;
  }

  @Override
  protected int run() throws Exception {
    BlobStore store = repository.openStore();
    Instant time = at != null ? at : clock().instant();
    List<BackupRecord> records = new Catalog(store).list(null);
    LOG.info(
        "{}applying '{}' at {} to {} backups in {}",
        dryRun ? "dry run: " : "",
        policy,
        time,
        records.size(),
        store.describe());
    AuditLog audit = new AuditLog(store, clock(), jobName(), AuditLog.actor(env()));
    RetentionReport report =
        new RetentionRun(store, policy, grace, dryRun)
            .apply(records, time, removal -> audit(audit, removal));

    print(report);
    expireWal(store, records, report, audit);
    metrics()
        .gauge("backup_retention_kept", "Backups kept by the last retention run.", report.kept());
    metrics()
        .gauge(
            "backup_retention_removed",
            "Backups removed by the last retention run.",
            report.removed());
    metrics()
        .gauge(
            "backup_retention_freed_bytes",
            "Bytes freed by the last retention run.",
            report.bytesFreed());
    for (GroupKey refused : report.refusedGroups()) {
      LOG.error("{}: {}", refused, report.plans().get(refused).refusalMessage().orElseThrow());
    }
    if (report.failed()) {
      throw new RetentionFailedException(report.summary());
    }
    LOG.info(report.summary());
    return ExitCodes.DONE;
  }

  /**
   * WAL older than the oldest base backup this run keeps expires; a refused group keeps all of its
   * backups, and a dry run deletes nothing.
   */
  private void expireWal(
      BlobStore store, List<BackupRecord> records, RetentionReport report, AuditLog audit)
      throws IOException {
    Set<BackupId> removed = new HashSet<>();
    report.plans().values().stream()
        .filter(p -> !p.refused())
        .forEach(p -> p.removed().forEach(d -> removed.add(d.backup().id())));
    List<BackupRecord> keptBase =
        records.stream()
            .filter(r -> r.kind() == BackupKind.DB_BASE && !removed.contains(r.id()))
            .toList();
    WalRetention.Plan plan = WalRetention.plan(store, keptBase);
    WalRetention.Result result = WalRetention.apply(store, plan, dryRun);
    out()
        .printf(
            "wal: %s; %s %d object(s), %d bytes%n",
            plan.reason(), dryRun ? "would remove" : "removed", result.removed(), result.bytes());
    if (!dryRun && result.removed() > 0) {
      Map<String, String> details = new LinkedHashMap<>();
      details.put("reason", plan.reason());
      details.put("objects", Integer.toString(result.removed()));
      details.put("bytes", Long.toString(result.bytes()));
      plan.oldestNeeded().ifPresent(l -> details.put("keptFrom", l.toString()));
      audit.record(AuditAction.DELETE, BackupKind.DB_BASE, null, details);
    }
    for (String refusal : result.refused()) {
      out().println("wal: " + refusal);
      LOG.warn("{}", refusal);
    }
    metrics()
        .gauge(
            "backup_retention_wal_removed",
            "Archived WAL objects removed by the last retention run.",
            result.removed());
  }

  private void audit(AuditLog audit, Removal removal) throws IOException {
    Map<String, String> details = new LinkedHashMap<>();
    details.put("reason", removal.leftover() ? "leftover older than " + grace : policy.toString());
    details.put("outcome", removal.outcome().name().toLowerCase(Locale.ROOT));
    details.put("objects", Integer.toString(removal.objects()));
    details.put("bytes", Long.toString(removal.bytes()));
    if (!removal.message().isEmpty()) {
      details.put("message", removal.message());
    }
    audit.record(AuditAction.DELETE, removal.kind(), removal.id(), details);
  }

  private void print(RetentionReport report) {
    for (Map.Entry<GroupKey, Plan> group : report.plans().entrySet()) {
      out().println("group " + group.getKey() + ": " + group.getValue().policy());
      for (Decision d : group.getValue().decisions()) {
        out().println("  " + d);
      }
    }
    for (Removal r : report.removals()) {
      printRemoval(r);
    }
    for (Removal r : report.leftovers()) {
      printRemoval(r);
    }
    out().println(report.summary());
  }

  private void printRemoval(Removal r) {
    out().println(r);
    if (r.outcome() == Removal.Outcome.REFUSED || r.outcome() == Removal.Outcome.KEPT_LOCKED) {
      LOG.warn("{}", r);
    } else if (r.outcome() == Removal.Outcome.FAILED) {
      LOG.error("{}", r);
    }
  }
}
