package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.pitr.PitrPlan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code drill}: the disaster-recovery drill as one command. From the newest complete backups (or
 * the ids given) it restores, one step after the other, each into scratch places that it creates
 * and removes: the database dump into a scratch database ({@link DumpDrill}), a point-in-time
 * restore into a scratch data directory started and asked where replay ended ({@link PitrDrill}),
 * the Dapr snapshot into scratch state stores ({@link DaprDrill}), the manifests into the scratch
 * namespace as a server-side dry run, or for real with {@code --apply} ({@link ManifestDrill}).
 * Each step uses the restore commands' own code and compares what it restored with the record.
 *
 * <p>It measures each restore's time (RTO per step, and their sum) and each component's recovery
 * point (how old the restored data is at the drill's start), judges them against {@code --rto} and
 * {@code --rpo} ({@link DrillObjectives}), prints a table, writes the report to {@code
 * drills/<time>.json} last ({@link DrillReport}; also as HTML or Markdown on request) and pushes
 * {@link DrillMetrics}. Every scratch object is removed even when a step fails; what could not be
 * removed is in the report.
 *
 * <p>Exit 0 when every step passed and every objective held; 3 when a restore was wrong or an
 * objective was missed; 1 when the drill could not run (a scratch server unreachable, a scratch
 * object left behind); 2 for bad options. {@code --list} prints the stored reports as rows of the
 * runbook's results table.
 */
@Command(
    name = "drill",
    description = {
      "The disaster-recovery drill: restore the newest backups (or the --backup ids) into scratch"
          + " places, measure how long each restore takes (RTO) and how old the restored data is"
          + " (RPO), check every row and key count against the records, and judge them against"
          + " --rto and --rpo.",
      "Steps: dump (into a scratch database on the server PGHOST, PGPORT, PGUSER, PGPASSWORD"
          + " name; the user needs CREATEDB), pitr (the newest base backup and the archived WAL"
          + " into a scratch data directory, started with pg_ctl and asked"
          + " pg_last_xact_replay_timestamp(); run as the PostgreSQL OS user), dapr (state stores"
          + " into scratch PostgreSQL databases and --scratch-redis, reminders and jobs into"
          + " --scratch-scheduler-endpoints), manifests (into"
          + " --scratch-namespace, a server-side dry run unless --apply, and the Helm history"
          + " decoded).",
      "Every scratch object is removed afterwards, also when a step fails. The report goes to"
          + " drills/<time>.json in the repository (written last), a table is printed, and"
          + " --report-html / --report-markdown render it for people.",
      "Exit 0: every restore was right and the objectives held; 3: a restore was wrong or an"
          + " objective was missed; 1: the drill could not run."
    })
public final class DrillCommand extends JobCommand {
  private static final List<String> STEPS =
      List.of(
          DumpDrill.COMPONENT, PitrDrill.COMPONENT, DaprDrill.COMPONENT, ManifestDrill.COMPONENT);

  @Mixin private RepositoryOptions repository = new RepositoryOptions();

  @Option(
      names = "--list",
      description =
          "Only list the stored drill reports, oldest first, as rows of the runbook's results"
              + " table.")
  private boolean list;

  @Option(
      names = "--backup",
      split = ",",
      paramLabel = "ID",
      description =
          "Drill this backup instead of the newest of its kind (repeatable: one per kind; a"
              + " db-base id chooses the point-in-time restore's base backup).")
  private List<String> backups;

  @Option(
      names = "--skip",
      split = ",",
      paramLabel = "STEP",
      description = "Leave out a step: dump, pitr, dapr or manifests (repeatable).")
  private List<String> skip;

  @Option(
      names = "--rto",
      paramLabel = "DURATION",
      defaultValue = "1h",
      description =
          "Recovery-time objective: the longest all restores may take together (default"
              + " ${DEFAULT-VALUE}).")
  private String rto;

  @Option(
      names = "--rpo",
      split = ",",
      paramLabel = "[COMPONENT=]DURATION",
      description =
          "Recovery-point objective: how old restored data may be. A bare duration sets the"
              + " database and dapr (default 15m each); COMPONENT=DURATION sets database, dapr or"
              + " manifests (no objective by default).")
  private List<String> rpo;

  @Option(
      names = "--target-time",
      paramLabel = "TIME",
      description =
          "The point-in-time restore's target (ISO-8601 with offset); default the newest archived"
              + " moment.")
  private String targetTime;

  @Mixin private DrillScratchOptions scratch = new DrillScratchOptions();

  @Option(
      names = "--report-html",
      paramLabel = "FILE",
      description = "Also write the report as HTML to FILE.")
  private Path reportHtml;

  @Option(
      names = "--report-markdown",
      paramLabel = "FILE",
      description = "Also write the report as Markdown to FILE.")
  private Path reportMarkdown;

  private DrillObjectives objectives;
  private PitrPlan.Target target = PitrPlan.Target.latest();
  private final Set<String> skipped = new HashSet<>();
  private PgConnection pg;

  @Override
  protected void validate(ConfigProblems problems) {
    try {
      objectives = DrillObjectives.parse(rto, rpo);
    } catch (IllegalArgumentException e) {
      problems.add(EnvironmentDefaults.describe("--rto or --rpo"), e.getMessage());
    }
    for (String s : skip == null ? List.<String>of() : skip) {
      if (!STEPS.contains(s.strip())) {
        problems.add(
            EnvironmentDefaults.describe("--skip"),
            "'" + s + "' is not a step (dump, pitr, dapr or manifests)");
      }
      skipped.add(s.strip());
    }
    for (String id : backups == null ? List.<String>of() : backups) {
      if (!BackupId.isValid(id.strip())) {
        problems.add(
            EnvironmentDefaults.describe("--backup"),
            "'" + id + "' is not a backup id like 20261124T020000Z-a1b2c3");
      }
    }
    if (targetTime != null) {
      try {
        target = PitrPlan.Target.time(OffsetDateTime.parse(targetTime.strip()).toInstant());
      } catch (DateTimeParseException e) {
        problems.add(
            EnvironmentDefaults.describe("--target-time"),
            "'" + targetTime + "' is not a time like 2026-11-24T14:03:00Z");
      }
    }
    if (!list
        && (!skipped.contains(DumpDrill.COMPONENT) || !skipped.contains(DaprDrill.COMPONENT))) {
      pg = PgConnection.fromEnv(env(), problems);
    }
  }

  @Override
  protected int run() throws Exception {
    BlobStore store = repository.openStore();
    Repository repo = openExistingRepository(store);
    if (list) {
      return listReports(store);
    }
    Instant start = clock().instant();
    KeyEncryptionKey kek = repository.kek();
    Map<BackupKind, BackupRecord> chosen = choose(repo);
    audit(store, chosen);
    for (BackupRecord r : chosen.values()) {
      // a lease for the run keeps retention away; a wrong key stops the drill here (exit 2)
      openBackup(repo, r, kek, "drill backup", "nothing was restored");
    }
    List<DrillStep> steps = runSteps(repo, store, kek, chosen);
    DrillReport report = DrillReport.judge(start, clock().instant(), objectives, steps, judged());
    publish(store, start, report);
    return report.exitCode();
  }

  /** The four steps one after the other, each skipped by option or for want of a backup. */
  private List<DrillStep> runSteps(
      Repository repo, BlobStore store, KeyEncryptionKey kek, Map<BackupKind, BackupRecord> chosen)
      throws IOException {
    List<DrillStep> steps = new ArrayList<>();
    steps.add(
        step(
            DumpDrill.COMPONENT,
            chosen.get(BackupKind.DB_LOGICAL),
            r ->
                DumpDrill.run(
                    new ScratchRestore(repo, kek, pg, PgTools.fromEnv(env()), clock()),
                    r,
                    pg.server(),
                    out())));
    steps.add(pitrStep(repo, store, kek, chosen.get(BackupKind.DB_BASE)));
    steps.add(
        step(
            DaprDrill.COMPONENT,
            chosen.get(BackupKind.DAPR),
            r ->
                new DaprDrill(
                        repo,
                        kek,
                        pg,
                        scratch.redis(),
                        scratch.redisDb(),
                        scratch.schedulerEndpoints(),
                        clock(),
                        out())
                    .run(r)));
    steps.add(
        step(
            ManifestDrill.COMPONENT,
            chosen.get(BackupKind.MANIFESTS),
            r ->
                new ManifestDrill(
                        repo,
                        kek,
                        scratch::kubernetes,
                        scratch.scratchNamespace(),
                        scratch.namespaceMap(),
                        scratch.apply(),
                        clock(),
                        out())
                    .run(r)));
    return steps;
  }

  /** The point-in-time restore from {@code base} (the newest base backup when null). */
  private DrillStep pitrStep(
      Repository repo, BlobStore store, KeyEncryptionKey kek, BackupRecord base)
      throws IOException {
    if (skipped.contains(PitrDrill.COMPONENT)) {
      return DrillStep.Log.skipped(PitrDrill.COMPONENT, "--skip pitr");
    }
    return new PitrDrill(
            repo,
            store,
            kek,
            PgTools.fromEnv(env()),
            scratch.scratchRoot(),
            scratch.pitrPort(),
            scratch.pitrUser(),
            scratch.startTimeout(),
            clock(),
            out())
        .run(target, base == null ? null : base.id().value());
  }

  /**
   * Prints the table, writes the pages asked for, pushes the metrics and stores the report last.
   */
  private void publish(BlobStore store, Instant start, DrillReport report) throws IOException {
    out().print(DrillReportPages.table(report));
    if (reportHtml != null) {
      Files.writeString(reportHtml, DrillReportPages.html(report), StandardCharsets.UTF_8);
    }
    if (reportMarkdown != null) {
      Files.writeString(reportMarkdown, DrillReportPages.markdown(report), StandardCharsets.UTF_8);
    }
    DrillMetrics.record(metrics(), report);
    try (InputStream json = new ByteArrayInputStream(report.toJson())) {
      store.create(Layout.drillReport(start), json);
    }
    out().println("report: " + Layout.drillReport(start));
  }

  private interface StepRun {
    DrillStep run(BackupRecord record);
  }

  private DrillStep step(String component, BackupRecord record, StepRun run) {
    if (skipped.contains(component)) {
      return DrillStep.Log.skipped(component, "--skip " + component);
    }
    if (record == null) {
      return DrillStep.Log.skipped(component, "no complete backup of its kind in the repository");
    }
    return run.run(record);
  }

  /** The components whose recovery point is judged: those whose steps were not all skipped. */
  private Set<String> judged() {
    Set<String> judged = new HashSet<>();
    if (!skipped.contains(DumpDrill.COMPONENT) || !skipped.contains(PitrDrill.COMPONENT)) {
      judged.add("database");
    }
    if (!skipped.contains(DaprDrill.COMPONENT)) {
      judged.add("dapr");
    }
    if (!skipped.contains(ManifestDrill.COMPONENT)) {
      judged.add("manifests");
    }
    return judged;
  }

  /** The newest complete backup of each kind, or the ids given. */
  private Map<BackupKind, BackupRecord> choose(Repository repo) throws IOException, JobException {
    Map<BackupKind, BackupRecord> chosen = new EnumMap<>(BackupKind.class);
    for (BackupKind kind :
        List.of(BackupKind.DB_LOGICAL, BackupKind.DB_BASE, BackupKind.DAPR, BackupKind.MANIFESTS)) {
      repo.catalog().latest(kind).ifPresent(r -> chosen.put(kind, r));
    }
    for (String id : backups == null ? List.<String>of() : backups) {
      Optional<BackupRecord> r = repo.catalog().find(new BackupId(id.strip()));
      if (r.isEmpty()) {
        throw JobException.badInput("unable to drill missing backup " + id + ": no such backup");
      }
      chosen.put(r.get().kind(), r.get());
    }
    return chosen;
  }

  private void audit(BlobStore store, Map<BackupKind, BackupRecord> chosen) throws JobException {
    for (BackupRecord r : chosen.values()) {
      try {
        audit(store).record(AuditAction.READ, r.kind(), r.id(), Map.of("level", "drill"));
      } catch (IOException e) {
        throw JobException.failed(
            "unable to drill backup "
                + r.id()
                + ": unable to write its audit event: "
                + e.getMessage()
                + "; nothing was restored",
            e);
      }
    }
  }

  private int listReports(BlobStore store) throws IOException {
    List<ObjectInfo> reports = new ArrayList<>(store.list(Layout.DRILLS));
    reports.sort((a, b) -> a.key().toString().compareTo(b.key().toString()));
    out().print(DrillReportPages.runbookHeader());
    for (ObjectInfo info : reports) {
      try (InputStream in = store.open(info.key())) {
        out().println(DrillReportPages.runbookRow(DrillReport.read(in.readAllBytes())));
      }
    }
    out().printf("%d drill report(s) in %s%n", reports.size(), Layout.DRILLS);
    return io.aido.backup.core.cli.ExitCodes.DONE;
  }

  /** Metrics push as command {@code drill}, apart from verify and the restore test. */
  @Override
  public String metricsCommand() {
    return "drill";
  }
}
