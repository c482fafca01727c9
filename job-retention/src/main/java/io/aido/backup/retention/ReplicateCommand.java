package io.aido.backup.retention;

import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.RepositoryUrl;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code replicate}: copies every complete backup and every WAL object of the repository ({@code
 * --storage-url}) that the secondary repository ({@code --secondary-url}) lacks, as stored, checked
 * object by object, record last ({@link Replicator}).
 *
 * <p>Exit codes: 0 when everything the secondary lacked was copied; 1 when a backup or WAL object
 * could not be copied or checked (every one is named; the others were copied and no record of a
 * failed one was written) or a listing failed; 2 bad configuration, or no repository at {@code
 * --storage-url}.
 *
 * <p>Metrics: {@code backup_replicate_lag_seconds} (the age of the newest backup of the primary
 * still missing from the secondary after the run; 0 when none), {@code
 * backup_replicate_objects_copied}, {@code backup_replicate_bytes_copied}, {@code
 * backup_replicate_backups_copied}, {@code backup_replicate_backups_failed}.
 */
@Command(
    name = "replicate",
    description = {
      "Copy every complete backup and every archived WAL object that the secondary repository"
          + " lacks, as stored (encrypted; no key needed), data first and the record last; every"
          + " object is read back and checked against the record's size and SHA-256.",
      "Compares catalogs only (never lists data objects); GCS to GCS copies inside GCS."
    })
public final class ReplicateCommand extends JobCommand {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicateCommand.class);

  @Mixin private RepositoryOptions repository = RepositoryOptions.keyOptional();

  @Option(
      names = "--secondary-url",
      paramLabel = "URL",
      description =
          "The repository that receives the copies: file:///absolute/path or gs://bucket/prefix,"
              + " in another region (and ideally project); created if empty.")
  private String secondaryUrl;

  private RepositoryUrl secondary;

  @Override
  protected void validate(ConfigProblems problems) {
    String setting = EnvironmentDefaults.describe("--secondary-url");
    if (secondaryUrl == null || secondaryUrl.isBlank()) {
      problems.add(setting, "not set (expected file:///path or gs://bucket/prefix)");
      return;
    }
    try {
      secondary = RepositoryUrl.parse(secondaryUrl);
    } catch (IllegalArgumentException e) {
      problems.add(setting, e.getMessage());
      return;
    }
    if (secondary.scheme().equals("memory") && !BlobStores.isRegistered(secondary)) {
      // an in-process store vanishes with the run: never a second copy (a store a test
      // registered under the name, around a directory or a bucket, does not)
      problems.add(setting, "must be file:///path or gs://bucket/prefix");
      return;
    }
    try {
      RepositoryUrl primary = repository.storageUrl();
      if (overlaps(primary, secondary)) {
        problems.add(
            setting, "'" + secondary + "' overlaps the --storage-url repository '" + primary + "'");
      }
    } catch (IllegalStateException e) {
      // --storage-url is bad and already reported
    }
  }

  /** Whether one repository lies inside the other (or they are the same). */
  private static boolean overlaps(RepositoryUrl a, RepositoryUrl b) {
    if (!a.scheme().equals(b.scheme()) || !a.location().equals(b.location())) {
      return a.scheme().equals("file")
          && b.scheme().equals("file")
          && (within(a.location(), b.location()) || within(b.location(), a.location()));
    }
    return within(a.prefix(), b.prefix()) || within(b.prefix(), a.prefix());
  }

  private static boolean within(String inner, String outer) {
    String o = outer.endsWith("/") ? outer : outer + "/";
    return outer.isEmpty() || inner.equals(outer) || inner.startsWith(o);
  }

  @Override
  protected int run() throws Exception {
    BlobStore primary = repository.openStore();
    openExistingRepository(primary);
    BlobStore target = BlobStores.open(secondary);
    LOG.info("replicating {} to {}", primary.describe(), target.describe());

    Replicator.Report report =
        new Replicator(primary, target, clock().instant(), line -> out().println(line)).run();

    metrics()
        .gauge(
            "backup_replicate_lag_seconds",
            "Age of the newest primary backup still missing from the secondary after the run.",
            report.lag().toMillis() / 1000.0);
    metrics()
        .gauge(
            "backup_replicate_objects_copied",
            "Objects created in the secondary by the last replicate run.",
            report.objectsCopied());
    metrics()
        .gauge(
            "backup_replicate_bytes_copied",
            "Bytes created in the secondary by the last replicate run.",
            report.bytesCopied());
    metrics()
        .gauge(
            "backup_replicate_backups_copied",
            "Backups whose record the last replicate run wrote into the secondary.",
            report.backupsCopied());
    metrics()
        .gauge(
            "backup_replicate_backups_failed",
            "Backups the last replicate run could not copy.",
            report.failures().size());

    for (Replicator.Failure f : report.failures()) {
      out().println("failed backup " + f.kind().id() + " " + f.id() + ": " + f.message());
    }
    for (String f : report.walFailures()) {
      out().println("failed " + f);
    }
    out().println(report.summary());
    if (report.failed()) {
      throw new ReplicationFailedException(
          report.summary()
              + (report.failures().isEmpty()
                  ? ""
                  : ": "
                      + report.failures().stream()
                          .map(f -> f.kind().id() + " " + f.id())
                          .collect(Collectors.joining(", "))
                      + " not copied, no record written for them"));
    }
    LOG.info(report.summary());
    return ExitCodes.DONE;
  }
}
