package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.cli.VerificationFailedException;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.wal.WalVerification;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code verify}, the job's default command: the integrity level for every complete backup not yet
 * verified (or all, with {@code --all}), then the freshness level for every kind.
 *
 * <p>Integrity: see {@link IntegrityCheck}. Each checked backup gets an append-only result ({@link
 * VerificationResults}) and an audit event ({@link AuditAction#READ}); a backup whose newest result
 * is ok is skipped unless {@code --all}, a failed one is checked again on every run. When the key
 * cannot be used at all (Cloud KMS unreachable or refusing) the backup is reported but no result is
 * written, since that says nothing about the backup: the run stops with exit 1. Record files the
 * catalog cannot read are problems too, and so, with {@code --all}, is a backup whose record was
 * deleted ({@link MissingRecords}).
 *
 * <p>Restore test ({@code --restore-test}): see {@link ScratchRestore}. By default the newest
 * complete {@code db-logical} backup of each source database whose integrity is not in doubt (the
 * monthly drill), every one with {@code --all}; each gets a {@link VerificationResult#RESTORE_TEST}
 * result carrying the restore's duration. The scratch server comes from the libpq variables;
 * scratch databases left by killed runs are dropped first.
 *
 * <p>Freshness: for each kind that has backups (and each {@code --require-kind}), the newest backup
 * that is complete and whose newest result is ok (this run's included) must have started less than
 * its {@link MaxAges limit} before now ({@code --now}, else the clock).
 *
 * <p>Key currency: every backup whose data key is not wrapped by the current key-encryption key
 * (another key, an older keyset primary, an older Cloud KMS version) is listed, and counted per
 * kind in {@code backup_keys_not_current}; that is no failure (it restores while the old key
 * exists), {@code rewrap} moves it.
 *
 * <p>Metrics ({@link VerifyMetrics}): per backup checked, whether it passed each level, the bytes
 * read, when it last passed and its restore's duration; per kind, bytes checked, failures, restore
 * tests, the last restore-test duration, last verified time and staleness. A run with {@code
 * --restore-test} pushes them as command {@code restore-test}, any other as {@code verify} ({@link
 * #metricsCommand}).
 *
 * <p>Output: one line per problem, then a summary. Exit 0 when nothing is wrong, 3 ({@link
 * VerificationFailedException}) when a backup is bad or a kind is stale, 1 when the store, the
 * scratch server or the key fails (results written so far stay; a key that cannot be used stops the
 * run without a result, since it says nothing about the backup), 2 for bad configuration, including
 * a store that holds no repository (verify never creates one).
 */
@Command(
    name = "verify",
    description = {
      "Read every backup not yet verified in full (exists with its size, decrypts, decompresses,"
          + " plaintext SHA-256 matches the record), record each result, and check that the newest"
          + " verified backup of each kind is younger than its limit.",
      "With --restore-test, also restore the newest db-logical backup of each database (every"
          + " one with --all) into a scratch database on the server the libpq variables PGHOST,"
          + " PGPORT, PGUSER, PGPASSWORD (or PGPASSFILE) name, compare every table's row count"
          + " with the record, ANALYZE and sample each table, and drop the scratch database.",
      "Exit 3 when a backup is bad or a kind is stale."
    })
public final class VerifyCommand extends JobCommand {
  private static final Logger LOG = LoggerFactory.getLogger(VerifyCommand.class);

  @Mixin private RepositoryOptions repository = new RepositoryOptions();

  @Option(names = "--kind", paramLabel = "KIND", description = "Verify only this kind.")
  private String kind;

  @Option(
      names = "--all",
      description =
          "Verify every backup, also those verified before, and report data whose record was"
              + " deleted after it was verified; with --restore-test, test-restore every"
              + " db-logical backup instead of the newest of each database.")
  private boolean all;

  @Option(
      names = "--restore-test",
      description =
          "Also test-restore db-logical backups into a scratch database (the monthly drill): by"
              + " default the newest complete backup of each source database. The user (PGUSER)"
              + " needs CREATEDB; databases are named "
              + ScratchDatabases.PREFIX
              + "*, and leftovers of killed runs are dropped.")
  private boolean restoreTest;

  @Option(names = "--no-freshness", description = "Skip the freshness level.")
  private boolean noFreshness;

  @Option(
      names = "--max-age",
      paramLabel = "KIND=DURATION",
      split = ",",
      description =
          "Age limit of the newest verified backup of a kind, like db-logical=26h or dapr=2h"
              + " (repeatable or comma-separated; default 26h for every kind).")
  private List<String> maxAge;

  @Option(
      names = "--require-kind",
      paramLabel = "KIND",
      split = ",",
      description = "A kind that must have a fresh verified backup even when it has none yet.")
  private List<String> requireKind;

  @Option(
      names = "--now",
      paramLabel = "TIME",
      description = "Judge freshness as if it were TIME (ISO-8601), for drills and tests.")
  private String now;

  private BackupKind onlyKind;
  private MaxAges limits;
  private final Set<BackupKind> required = EnumSet.noneOf(BackupKind.class);
  private Instant at;
  private PgConnection pg;

  private final UnaryOperator<BlobStore> storeWrapper;
  private final KeyEncryptionKey kekOverride;

  public VerifyCommand() {
    this(UnaryOperator.identity(), null);
  }

  /**
   * A command with test seams, run through {@link Main#Main(VerifyCommand)}.
   *
   * @param storeWrapper wraps the store the options open, to inject an outage
   * @param kekOverride used instead of the key {@code --kek-uri} names (to make it unavailable), or
   *     {@code null}
   */
  VerifyCommand(UnaryOperator<BlobStore> storeWrapper, KeyEncryptionKey kekOverride) {
    this.storeWrapper = storeWrapper;
    this.kekOverride = kekOverride;
  }

  @Override
  protected void validate(ConfigProblems problems) {
    if (kind != null && !kind.isBlank()) {
      try {
        onlyKind = BackupKind.fromId(kind.trim());
      } catch (IllegalArgumentException e) {
        problems.add(EnvironmentDefaults.describe("--kind"), e.getMessage());
      }
    }
    try {
      limits = MaxAges.parse(maxAge);
    } catch (IllegalArgumentException e) {
      problems.add(EnvironmentDefaults.describe("--max-age"), e.getMessage());
    }
    for (String k : requireKind == null ? List.<String>of() : requireKind) {
      try {
        BackupKind r = BackupKind.fromId(k.trim());
        if (onlyKind != null && r != onlyKind) {
          problems.add(
              EnvironmentDefaults.describe("--require-kind"),
              "'" + r + "' is outside --kind " + onlyKind);
        }
        required.add(r);
      } catch (IllegalArgumentException e) {
        problems.add(EnvironmentDefaults.describe("--require-kind"), e.getMessage());
      }
    }
    if (restoreTest) {
      pg = PgConnection.fromEnv(env(), problems);
      if (onlyKind != null && onlyKind != BackupKind.DB_LOGICAL) {
        problems.add(
            EnvironmentDefaults.describe("--restore-test"),
            "only db-logical backups can be test-restored, not --kind " + onlyKind);
      }
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
  }

  @Override
  protected int run() throws Exception {
    BlobStore store = storeWrapper.apply(repository.openStore());
    Repository repo = openExistingRepository(store);
    KeyEncryptionKey kek = kekOverride != null ? kekOverride : repository.kek();
    AuditLog audit = audit(store);
    Tally tally = new Tally();

    Catalog.Listing listing = repo.catalog().scan(onlyKind);
    for (Catalog.Unreadable u : listing.unreadable()) {
      tally.problem("record '" + u.key() + "': " + u.problem());
    }
    if (all) {
      tally.problems(MissingRecords.problems(store, onlyKind, listing));
    }
    Map<BackupKind, Map<BackupId, VerificationResult>> newest = newest(store, listing.records());
    VerifyPlan plan = VerifyPlan.of(listing.records(), newest, all, required);
    new IntegrityPass(new IntegrityCheck(repo, kek, clock()), store, audit, metrics(), clock())
        .run(plan.check(), newest, tally);

    RestoreDrill.Summary restored = RestoreDrill.Summary.NONE;
    if (restoreTest) {
      ScratchRestore restore = new ScratchRestore(repo, kek, pg, PgTools.fromEnv(env()), clock());
      restored =
          new RestoreDrill(restore, audit, metrics(), pg.server(), clock())
              .run(listing.records(), all, newest.get(BackupKind.DB_LOGICAL), store);
      tally.problems(restored.problems());
      tally.add(BackupKind.DB_LOGICAL, restored.bytes(), restored.bad());
    }

    int stale = judgeFreshness(plan.kinds(), listing.records(), newest, tally);
    VerifyMetrics.kinds(metrics(), plan.kinds(), tally);
    int oldKeys = KeyCurrency.report(kek, listing.records(), plan.kinds(), out(), metrics());
    if (onlyKind == null || onlyKind == BackupKind.DB_BASE) {
      // point-in-time recovery: a gap in the archived WAL is a failure
      tally.problems(WalVerification.problems(store, listing.records()));
    }
    for (String p : tally.problems()) {
      out().println(p);
      LOG.error(p);
    }
    String summary = summary(plan, tally, restored, listing.unreadable().size(), stale, oldKeys);
    out().println(summary);
    if (!tally.problems().isEmpty()) {
      throw new VerificationFailedException(summary);
    }
    if (!restored.leftovers().isEmpty()) {
      throw new IOException(
          "unable to drop scratch database(s) "
              + String.join("; ", restored.leftovers())
              + "; the next restore test drops them");
    }
    LOG.info(summary);
    return ExitCodes.DONE;
  }

  /**
   * The newest result of each backup, for every kind the run may judge: those listed, the required
   * ones and, for the restore test, {@code db-logical}. The steps add this run's results.
   */
  private Map<BackupKind, Map<BackupId, VerificationResult>> newest(
      BlobStore store, List<BackupRecord> records) throws IOException {
    Set<BackupKind> kinds = EnumSet.noneOf(BackupKind.class);
    records.forEach(r -> kinds.add(r.kind()));
    kinds.addAll(required);
    if (restoreTest) {
      kinds.add(BackupKind.DB_LOGICAL);
    }
    Map<BackupKind, Map<BackupId, VerificationResult>> newest = new EnumMap<>(BackupKind.class);
    for (BackupKind k : kinds) {
      newest.put(k, new HashMap<>(VerificationResults.newest(store, k)));
    }
    return newest;
  }

  /**
   * The freshness step: judges each kind ({@link Freshness}) and sets its gauges; the stale ones
   * become problems unless {@code --no-freshness}.
   *
   * @return how many kinds are stale
   */
  private int judgeFreshness(
      List<BackupKind> kinds,
      List<BackupRecord> records,
      Map<BackupKind, Map<BackupId, VerificationResult>> newest,
      Tally tally) {
    Instant time = at != null ? at : clock().instant();
    int stale = 0;
    for (BackupKind k : kinds) {
      Freshness f = Freshness.judge(k, records, newest.get(k), limits.of(k), time);
      VerifyMetrics.freshness(metrics(), f, !noFreshness);
      if (!noFreshness && f.stale()) {
        stale++;
        tally.problem(f.problem());
      }
    }
    return stale;
  }

  private String summary(
      VerifyPlan plan,
      Tally tally,
      RestoreDrill.Summary restored,
      int unreadable,
      int stale,
      int oldKeys) {
    return "verified "
        + plan.check().size()
        + " backups ("
        + tally.failures()
        + " bad, "
        + tally.bytes()
        + " bytes checked), skipped "
        + plan.skipped()
        + " verified before, "
        + (restoreTest ? restored.tested() + " restore-tested (" + restored.bad() + " bad), " : "")
        + unreadable
        + " unreadable records, "
        + (noFreshness ? "freshness not checked" : stale + " stale kinds")
        + "; "
        + tally.problems().size()
        + " problems; "
        + (oldKeys < 0
            ? "unknown how many backups an older key wraps"
            : oldKeys + " backups wrapped by an older key");
  }

  /** The run stops: a key that cannot be used says nothing about the backup, so no result. */
  static GeneralSecurityException keyUnavailable(BackupRecord record, KeyUnavailableException e) {
    return new GeneralSecurityException(
        "backup "
            + record.id()
            + " ("
            + record.kind()
            + "): "
            + e.getMessage()
            + "; verification stopped without a result for it (an unusable key says nothing"
            + " about the backup)",
        e);
  }

  /**
   * {@code restore-test} with {@code --restore-test}, else {@code verify}: the monthly drill and
   * the nightly verification push under separate grouping keys, so the nightly run never overwrites
   * a failed restore test's outcome.
   */
  @Override
  public String metricsCommand() {
    return restoreTest ? "restore-test" : "verify";
  }

  /** This run's metrics, for tests. */
  RunMetrics runMetrics() {
    return metrics();
  }
}
