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
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
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
 * catalog cannot read are problems too.
 *
 * <p>Restore test ({@code --restore-test}): see {@link RestoreTest}. By default the newest complete
 * {@code db-logical} backup of each source database whose integrity is not in doubt (the monthly
 * drill), every one with {@code --all}; each gets a {@link VerificationResult#RESTORE_TEST} result
 * carrying the restore's duration. The scratch server comes from the libpq variables; scratch
 * databases left by killed runs are dropped first.
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
          "Verify every backup, also those verified before; with --restore-test, test-restore every"
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

  /** Test seam: wraps the store the options open, to inject an outage. */
  UnaryOperator<BlobStore> storeWrapper = UnaryOperator.identity();

  /** Test seam: used instead of the key {@code --kek-uri} names, to make it unavailable. */
  KeyEncryptionKey kekOverride;

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
    IntegrityCheck integrity = new IntegrityCheck(repo, kek, clock());
    AuditLog audit = audit(store);
    List<String> problems = new ArrayList<>();

    Catalog.Listing listing = repo.catalog().scan(onlyKind);
    for (Catalog.Unreadable u : listing.unreadable()) {
      problems.add("record '" + u.key() + "': " + u.problem());
    }
    Map<BackupKind, Map<BackupId, VerificationResult>> newest = new EnumMap<>(BackupKind.class);
    Map<BackupKind, Long> bytes = new EnumMap<>(BackupKind.class);
    Map<BackupKind, Integer> failures = new EnumMap<>(BackupKind.class);
    int checked = 0;
    int skipped = 0;
    for (BackupRecord record : listing.records()) {
      Map<BackupId, VerificationResult> results = newest(newest, store, record.kind());
      VerificationResult previous = results.get(record.id());
      if (!all && previous != null && previous.ok()) {
        skipped++;
        continue;
      }
      VerificationResult r;
      try (var c = MDC.putCloseable("backup_id", record.id().value());
          var k = MDC.putCloseable("kind", record.kind().id())) {
        try {
          r = integrity.check(record);
        } catch (KeyUnavailableException e) {
          throw keyUnavailable(record, e);
        }
        audit.record(
            AuditAction.READ,
            record.kind(),
            record.id(),
            Map.of(
                "level", r.level(),
                "outcome", r.ok() ? "ok" : "bad",
                "bytes", Long.toString(r.bytesChecked())));
        VerificationResults.write(store, r);
        results.put(record.id(), r);
        LOG.info(
            "backup {} ({}): {} ({} bytes in {} ms)",
            record.id(),
            record.kind(),
            r.ok() ? "ok" : "bad",
            r.bytesChecked(),
            r.durationMillis());
      }
      checked++;
      VerifyMetrics.backup(metrics(), r);
      bytes.merge(record.kind(), r.bytesChecked(), Long::sum);
      if (!r.ok()) {
        failures.merge(record.kind(), 1, Integer::sum);
        problems.addAll(r.problems());
      }
    }

    RestoreDrill.Summary restored = RestoreDrill.Summary.NONE;
    if (restoreTest) {
      RestoreTest restore = new RestoreTest(repo, kek, pg, PgTools.fromEnv(env()), clock());
      restored =
          new RestoreDrill(restore, audit, metrics(), pg.server())
              .run(listing.records(), all, newest(newest, store, BackupKind.DB_LOGICAL), store);
      problems.addAll(restored.problems());
      bytes.merge(BackupKind.DB_LOGICAL, restored.bytes(), Long::sum);
      if (restored.bad() > 0) {
        failures.merge(BackupKind.DB_LOGICAL, restored.bad(), Integer::sum);
      }
    }

    Set<BackupKind> kinds = EnumSet.noneOf(BackupKind.class);
    listing.records().forEach(r -> kinds.add(r.kind()));
    kinds.addAll(required);
    int stale = 0;
    Instant time = at != null ? at : clock().instant();
    for (BackupKind k : kinds) {
      Map<BackupId, VerificationResult> results = newest(newest, store, k);
      BackupRecord fresh = null;
      for (BackupRecord r : listing.records()) {
        VerificationResult v = results.get(r.id());
        if (r.kind() == k && v != null && v.ok()) {
          fresh = r;
        }
      }
      results.values().stream()
          .filter(VerificationResult::ok)
          .map(VerificationResult::checkedAt)
          .max(Instant::compareTo)
          .ifPresent(
              t ->
                  metrics()
                      .gauge(
                          "backup_verify_last_verified_timestamp_seconds",
                          "When a backup of this kind last passed verification.",
                          t.toEpochMilli() / 1000.0,
                          Map.of("kind", k.id())));
      if (fresh != null) {
        metrics()
            .gauge(
                "backup_verify_newest_verified_backup_timestamp_seconds",
                "Start of the newest backup of this kind that passed verification.",
                fresh.startedAt().toEpochMilli() / 1000.0,
                Map.of("kind", k.id()));
      }
      if (noFreshness) {
        continue;
      }
      Duration limit = limits.of(k);
      String problem = null;
      if (fresh == null) {
        problem =
            "kind " + k + ": no complete and verified backup (limit " + MaxAges.format(limit) + ")";
      } else {
        Duration age = Duration.between(fresh.startedAt(), time);
        if (age.compareTo(limit) > 0) {
          problem =
              "kind "
                  + k
                  + ": newest verified backup "
                  + fresh.id()
                  + " started "
                  + MaxAges.format(age)
                  + " ago, older than the limit of "
                  + MaxAges.format(limit);
        }
      }
      metrics()
          .gauge(
              "backup_verify_stale",
              "1 when the newest verified backup of this kind is older than its limit.",
              problem == null ? 0 : 1,
              Map.of("kind", k.id()));
      if (problem != null) {
        stale++;
        problems.add(problem);
      }
    }
    for (BackupKind k : kinds) {
      metrics()
          .gauge(
              "backup_verify_checked_bytes",
              "Stored bytes read and checked by this run.",
              bytes.getOrDefault(k, 0L),
              Map.of("kind", k.id()));
      metrics()
          .gauge(
              "backup_verify_failures",
              "Backups of this kind found bad by this run.",
              failures.getOrDefault(k, 0),
              Map.of("kind", k.id()));
    }

    int oldKeys = reportOldKeys(kek, listing.records(), kinds);

    if (onlyKind == null || onlyKind == BackupKind.DB_BASE) {
      // point-in-time recovery: a gap in the archived WAL is a failure
      problems.addAll(WalVerification.problems(store, listing.records()));
    }
    for (String p : problems) {
      out().println(p);
      LOG.error(p);
    }
    int bad = failures.values().stream().mapToInt(Integer::intValue).sum();
    String summary =
        "verified "
            + checked
            + " backups ("
            + bad
            + " bad, "
            + bytes.values().stream().mapToLong(Long::longValue).sum()
            + " bytes checked), skipped "
            + skipped
            + " verified before, "
            + (restoreTest
                ? restored.tested() + " restore-tested (" + restored.bad() + " bad), "
                : "")
            + listing.unreadable().size()
            + " unreadable records, "
            + (noFreshness ? "freshness not checked" : stale + " stale kinds")
            + "; "
            + problems.size()
            + " problems; "
            + (oldKeys < 0
                ? "unknown how many backups an older key wraps"
                : oldKeys + " backups wrapped by an older key");
    out().println(summary);
    if (!problems.isEmpty()) {
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
   * Lists the backups whose data key is not wrapped by the current key-encryption key (another key,
   * an older keyset primary, an older Cloud KMS version) and sets {@code backup_keys_not_current}
   * per kind. These are no verification failure: they restore while the old key exists, and {@code
   * rewrap} moves them; the alert fires when they stay after a grace period.
   *
   * @return how many, or -1 when the current Cloud KMS version cannot be read (no metric is set)
   */
  private int reportOldKeys(KeyEncryptionKey kek, List<BackupRecord> records, Set<BackupKind> kinds)
      throws GeneralSecurityException {
    Map<BackupKind, Integer> old = new EnumMap<>(BackupKind.class);
    try {
      for (BackupRecord r : records) {
        if (!kek.isCurrent(r.encryption())) {
          old.merge(r.kind(), 1, Integer::sum);
          out()
              .println(
                  "backup "
                      + r.id()
                      + " ("
                      + r.kind()
                      + "): data key wrapped by '"
                      + r.encryption().describeKek()
                      + "', not the current key '"
                      + kek.describeCurrent()
                      + "' (run rewrap before retiring the old key)");
        }
      }
    } catch (KeyUnavailableException e) {
      LOG.warn(
          "unable to tell which backups are wrapped by an older key: {} (the verify job needs"
              + " cloudkms.cryptoKeys.get on the key)",
          e.getMessage());
      return -1;
    }
    for (BackupKind k : kinds) {
      metrics()
          .gauge(
              "backup_keys_not_current",
              "Backups of this kind whose data key is not wrapped by the current key-encryption"
                  + " key (run rewrap).",
              old.getOrDefault(k, 0),
              Map.of("kind", k.id()));
    }
    return old.values().stream().mapToInt(Integer::intValue).sum();
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

  private static Map<BackupId, VerificationResult> newest(
      Map<BackupKind, Map<BackupId, VerificationResult>> cache, BlobStore store, BackupKind kind)
      throws java.io.IOException {
    Map<BackupId, VerificationResult> results = cache.get(kind);
    if (results == null) {
      results = new java.util.HashMap<>(VerificationResults.newest(store, kind));
      cache.put(kind, results);
    }
    return results;
  }
}
