package io.aido.backup.core.cli;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RunOptions;
import io.aido.backup.core.config.ValidatedOptions;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.observability.RunMetrics;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.NoRepositoryException;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.repository.TamperedRecordException;
import io.aido.backup.core.storage.BlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The base of every command that does work. Before {@link #run} it checks the whole configuration
 * and reports every problem at once; around it, it records and pushes the run's metrics.
 *
 * <p>Order of a run:
 *
 * <ol>
 *   <li>collect problems: unknown options or extra arguments, every {@link ValidatedOptions} mixin
 *       of this command and the shared {@link RunOptions}, then {@link #validate} of the subclass;
 *   <li>when there is any, throw {@link io.aido.backup.core.config.ConfigurationException} (exit
 *       {@value ExitCodes#USAGE}); nothing else has happened;
 *   <li>{@link #run}; its return value is the exit code; a {@link JobException} becomes its one
 *       line "error: ..." and its exit code; throw {@link VerificationFailedException} for {@value
 *       ExitCodes#VERIFICATION_FAILED}, anything else for {@value ExitCodes#FAILED};
 *   <li>when {@link #pushesMetrics()} and a Pushgateway is set, push {@link #metrics()}; a failed
 *       push is logged as a warning and changes no exit code.
 * </ol>
 *
 * <pre>{@code
 * @Command(name = "backup", description = "Dumps each database into the repository.")
 * final class BackupCommand extends JobCommand {
 *   @Mixin RepositoryOptions repository;
 *   @Option(names = "--database", paramLabel = "NAME") List<String> databases;
 *
 *   protected void validate(ConfigProblems problems) {
 *     if (databases == null) problems.add(EnvironmentDefaults.describe("--database"), "not set");
 *   }
 *
 *   protected int run() throws Exception {
 *     BlobStore store = repository.openStore();
 *     ...
 *     try (BackupRun run = beginBackup(repo, BackupKind.DB_LOGICAL, source, kek, "backup", "")) {
 *       ...
 *       run.commit(facts);
 *     }
 *     return ExitCodes.DONE;
 *   }
 * }
 * }</pre>
 *
 * <p>Log lines carry MDC {@code job}. A command that writes a backup does it in a {@link BackupRun}
 * ({@link #beginBackup}), which adds {@code backup_id} and {@code kind}; one that works on an
 * existing backup puts them itself: {@code try (var c = MDC.putCloseable("backup_id", id.value()))
 * { ... }}.
 *
 * <p>Restriction: a command must be a subcommand (at any depth) of a {@link JobMain}.
 */
@Command(mixinStandardHelpOptions = true)
public abstract class JobCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(JobCommand.class);

  @Spec private CommandSpec spec;

  private RunMetrics metrics;
  private final ReadLeases leases = new ReadLeases();

  @Override
  public final Integer call() throws Exception {
    ConfigProblems problems = JobRuns.problems(spec, runOptions());
    validate(problems);
    problems.throwIfAny();

    metrics = new RunMetrics(jobName(), metricsCommand(), runOptions().clusterName(), clock());
    metrics.started();
    boolean success = false;
    try {
      int code;
      try {
        code = run();
      } catch (JobException e) {
        code = JobRuns.report(e, runOptions(), context().err());
      }
      success = code == ExitCodes.DONE;
      return code;
    } finally {
      leases.releaseAll();
      if (pushesMetrics()) {
        metrics.finished(success);
        JobRuns.push(metrics, runOptions());
      }
    }
  }

  /** Adds this command's own configuration problems; runs after the mixins were checked. */
  protected void validate(ConfigProblems problems) {}

  /**
   * Does the work, once the configuration is known to be good.
   *
   * @return the exit code, normally {@link ExitCodes#DONE}
   * @throws JobException when the job cannot go on: its message becomes the one line "error: ..."
   *     (no stack trace, even with {@code --debug}) and its exit code the run's
   * @throws VerificationFailedException when a verification found a bad backup
   * @throws Exception when the work failed; its message becomes the "error: ..." line
   */
  protected abstract int run() throws Exception;

  /** Whether this command's runs are pushed as metrics; the job commands do, helpers do not. */
  protected boolean pushesMetrics() {
    return true;
  }

  /**
   * The {@code command} label of this run's metrics, part of the Pushgateway grouping key: the
   * command's name unless a subclass says otherwise. The Pushgateway keeps one set of metrics per
   * grouping key, so a command run in modes that are scheduled apart (verify, and verify
   * --restore-test) returns one label per mode: otherwise the next run of one mode replaces the
   * other's outcome, and a failed monthly restore test would read as passed after a night.
   * Meaningful once the options are parsed.
   */
  public String metricsCommand() {
    return spec.name();
  }

  /** This run's metrics; available in {@link #run}. */
  protected final RunMetrics metrics() {
    if (metrics == null) {
      throw new IllegalStateException("metrics exist only while the command runs");
    }
    return metrics;
  }

  /**
   * Pushes this run's metrics as they stand now, for a command that runs for long ({@code
   * wal-archive --follow}); the push at the end still happens. Like that one, a failed push is
   * logged as a warning and does not stop the run.
   */
  protected final void pushMetricsNow() {
    if (pushesMetrics()) {
      JobRuns.push(metrics, runOptions());
    }
  }

  /**
   * The audit log of {@code store}, recording as this job and the {@link AuditLog#actor actor}
   * running it: {@code audit(store).record(AuditAction.RESTORE, kind, id, Map.of())}.
   */
  protected final AuditLog audit(BlobStore store) {
    return new AuditLog(store, clock(), jobName(), AuditLog.actor(env()));
  }

  /**
   * The backup {@code id} in {@code catalog}, which must be of {@code kind}.
   *
   * @param verb what the command does with it, as in "restore"
   * @throws JobException exit {@value ExitCodes#USAGE}: "unable to {@code <verb>} missing backup
   *     {@code <id>}: no such backup", or "unable to {@code <verb>} backup {@code <id>}: it is a
   *     {@code <other>} backup, not {@code <kind>}"
   * @throws IOException when the store fails
   */
  protected final BackupRecord findBackup(
      Catalog catalog, BackupId id, BackupKind kind, String verb) throws JobException, IOException {
    BackupRecord r =
        catalog
            .find(id)
            .orElseThrow(
                () ->
                    JobException.badInput(
                        "unable to " + verb + " missing backup " + id + ": no such backup"));
    if (r.kind() != kind) {
      throw JobException.badInput(
          "unable to " + verb + " backup " + id + ": it is a " + r.kind() + " backup, not " + kind);
    }
    return r;
  }

  /**
   * Records in {@code store}'s audit log that this run restores {@code record} ({@code action}
   * {@link AuditAction#RESTORE}, or {@link AuditAction#READ} for a dry run), before anything is
   * restored.
   *
   * @param noun what the message calls the backup: "backup", "base backup"
   * @throws JobException "unable to restore {@code <noun> <id>}: unable to write its audit event:
   *     ...; nothing was restored" when the event cannot be written
   */
  protected final void auditRestore(
      BlobStore store,
      AuditAction action,
      BackupRecord record,
      String noun,
      Map<String, String> details)
      throws JobException {
    try {
      audit(store).record(action, record.kind(), record.id(), details);
    } catch (IOException e) {
      throw JobException.failed(
          "unable to restore "
              + noun
              + " "
              + record.id()
              + ": unable to write its audit event: "
              + e.getMessage()
              + "; nothing was restored",
          e);
    }
  }

  /**
   * Opens the repository in {@code store} for a command that writes backups (created when the store
   * is empty), written with {@code settings} (the command's compression), once {@code kek} was
   * proven usable: a throwaway data key is wrapped and unwrapped with it (for Cloud KMS, this
   * reaches KMS), so a bad key fails before any byte moves.
   *
   * @throws JobException exit {@value ExitCodes#FAILED} naming the key when it cannot be used, or
   *     with the store's message when the repository cannot be opened or created
   */
  protected final Repository openRepositoryToWrite(
      BlobStore store, PipelineSettings settings, KeyEncryptionKey kek) throws JobException {
    try {
      DataKey.unwrap(DataKey.generate().wrap(kek), kek);
    } catch (GeneralSecurityException e) {
      throw JobException.keyUnusable(kek, e);
    }
    try {
      return Repository.open(store, new Pipeline(settings), clock());
    } catch (IOException e) {
      throw JobException.failed(e.getMessage(), e);
    }
  }

  /**
   * Starts a backup in {@code repo} ({@link Repository#begin}) as a {@link BackupRun}: from here to
   * its close, log lines carry its {@code backup_id} and {@code kind}; its commit counts it in this
   * run's metrics; its failures name it as "{@code <noun> <id> <qualifier>}".
   *
   * @param noun what the command calls its backup in messages: "backup", "base backup", "export"
   * @param qualifier what follows the id, such as "of database 'todo'"; empty for nothing
   * @throws JobException exit {@value ExitCodes#FAILED}, "unable to start {@code <noun>
   *     <qualifier>}: ...", when no data key can be made or wrapped
   */
  protected final BackupRun beginBackup(
      Repository repo,
      BackupKind kind,
      Source source,
      KeyEncryptionKey kek,
      String noun,
      String qualifier)
      throws JobException {
    return BackupRun.begin(repo, kind, source, kek, noun, qualifier, metrics());
  }

  /**
   * Opens the repository in {@code store} for a command that only reads (a restore, an extract):
   * never created, so a mistyped or empty location fails as the bad {@code --storage-url} it is
   * (exit {@value ExitCodes#USAGE}) instead of becoming an empty repository that holds no backup.
   * The key is checked per backup, by {@link #openBackup}.
   *
   * @throws io.aido.backup.core.config.ConfigurationException when the store holds no repository
   * @throws JobException exit {@value ExitCodes#FAILED} when the store fails
   */
  protected final Repository openRepositoryToRead(BlobStore store) throws JobException {
    try {
      return openExistingRepository(store);
    } catch (IOException e) {
      throw JobException.failed(e.getMessage(), e);
    }
  }

  /**
   * The reader of {@code record}'s parts, its data key unwrapped with {@code kek}. When {@code kek}
   * did not wrap it, the one wrong-key message: "unable to {@code <action>} {@code <id>}: its data
   * key was wrapped by key 'A', not by the configured 'B' (wrong key); {@code <safe>}".
   *
   * @param action what the command does with the backup, as in "restore backup" or "read backup"
   * @param safe what is safe when it fails, as in "nothing was restored"; empty to say nothing
   * @throws JobException exit {@value ExitCodes#USAGE} for a wrong key, {@value ExitCodes#FAILED}
   *     when the data key cannot be unwrapped otherwise (KMS refused or unreachable) or the record
   *     does not authenticate (edited, its seal stripped)
   * @throws IOException when the store fails
   */
  protected final BackupReader openBackup(
      Repository repo, BackupRecord record, KeyEncryptionKey kek, String action, String safe)
      throws JobException, IOException {
    String prefix = "unable to " + action + " " + record.id() + ": ";
    String suffix = safe.isEmpty() ? "" : "; " + safe;
    leases.hold(repo, record, action.split(" ")[0], clock().instant(), prefix, suffix);
    try {
      return repo.reader(record, kek);
    } catch (WrongKeyException e) {
      throw JobException.badInput(
          prefix
              + "its data key was wrapped by key '"
              + e.recordedKekId()
              + "', not by the configured '"
              + e.configuredKekId()
              + "' (wrong key)"
              + suffix);
    } catch (TamperedRecordException e) {
      throw JobException.failed(prefix + e.problem() + suffix, e);
    } catch (GeneralSecurityException e) {
      throw JobException.failed(
          prefix + "unable to unwrap its data key: " + e.getMessage() + suffix, e);
    }
  }

  /**
   * Opens the repository in {@code store} for a command that only reads ({@link
   * Repository#openExisting}): it is never created, so an empty, missing or mistyped location is
   * reported as the bad {@code --storage-url} it is, instead of reading as a repository without
   * backups.
   *
   * @throws io.aido.backup.core.config.ConfigurationException (exit {@value ExitCodes#USAGE})
   *     naming {@code --storage-url} and the store when it holds no {@code format.json}
   * @throws IOException if {@code format.json} is unreadable or the store fails
   */
  protected final Repository openExistingRepository(BlobStore store) throws IOException {
    try {
      return Repository.openExisting(store, new Pipeline(PipelineSettings.defaults()), clock());
    } catch (NoRepositoryException e) {
      ConfigProblems none = new ConfigProblems();
      none.add(EnvironmentDefaults.describe("--storage-url"), e.getMessage());
      none.throwIfAny();
      throw e;
    }
  }

  protected final JobContext context() {
    return main().context();
  }

  protected final Environment env() {
    return context().env();
  }

  /** Where the command's own output goes (a listing, a JSON record). */
  protected final PrintStream out() {
    return context().out();
  }

  protected final Clock clock() {
    return context().clock();
  }

  protected final RunOptions runOptions() {
    return main().runOptions();
  }

  /** The job's name, such as {@code db-backup}. */
  protected final String jobName() {
    return spec.root().name();
  }

  protected final CommandSpec spec() {
    return spec;
  }

  private JobMain main() {
    if (spec.root().userObject() instanceof JobMain main) {
      return main;
    }
    throw new IllegalStateException(spec.qualifiedName() + " is not under a JobMain");
  }
}
