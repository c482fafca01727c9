package io.aido.backup.core.cli.internal;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.observability.ByteSizes;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.verification.VerificationResult;
import io.aido.backup.core.verification.VerificationResults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code catalog list} and {@code catalog show}: what the repository holds. Reads only backup
 * records, which hold no secret, so no key-encryption key is needed.
 *
 * <p>Both only read: a URL that holds no repository (no {@code format.json}: an empty or missing
 * directory, an empty bucket, a mistyped prefix) exits {@value ExitCodes#USAGE} with "no repository
 * at '...'", never an empty listing that would pass for a repository without backups.
 */
@Command(
    name = "catalog",
    mixinStandardHelpOptions = true,
    description = "List and show the complete backups in the repository.",
    subcommands = {CatalogCommand.ListBackups.class, CatalogCommand.Show.class})
public final class CatalogCommand {

  private static BackupKind kind(String kind, ConfigProblems problems) {
    if (kind == null || kind.isBlank()) {
      return null;
    }
    try {
      return BackupKind.fromId(kind.trim());
    } catch (IllegalArgumentException e) {
      problems.add(EnvironmentDefaults.describe("--kind"), e.getMessage());
      return null;
    }
  }

  /** {@code catalog list [--kind K] [--json]}. */
  @Command(
      name = "list",
      description = {
        "List complete backups, oldest first: id, kind, start time, duration, stored size, parts,"
            + " last verification and source; a repository without backups says so.",
        "Exits 2 when the storage URL holds no repository.",
        "With --json, print every record as a JSON array instead (add --log-format text to keep"
            + " log lines off stdout)."
      })
  public static final class ListBackups extends JobCommand {
    @Mixin private RepositoryOptions repository = RepositoryOptions.keyOptional();

    @Option(
        names = "--kind",
        paramLabel = "KIND",
        description = "Only this kind: db-logical, db-base, dapr or manifests.")
    private String kindName;

    @Option(names = "--json", description = "Print the records as a JSON array.")
    private boolean json;

    private BackupKind kind;

    @Override
    protected void validate(ConfigProblems problems) {
      kind = kind(kindName, problems);
    }

    @Override
    protected int run() throws IOException {
      BlobStore store = repository.openStore();
      List<BackupRecord> records = openExistingRepository(store).catalog().list(kind);
      if (json) {
        out().print("[");
        String separator = "\n";
        for (BackupRecord r : records) {
          out().print(separator);
          out().print(json(r));
          separator = ",\n";
        }
        out().println(records.isEmpty() ? "]" : "\n]");
        return ExitCodes.DONE;
      }
      Map<BackupKind, Map<BackupId, VerificationResult>> verified = new EnumMap<>(BackupKind.class);
      for (BackupRecord r : records) {
        if (!verified.containsKey(r.kind())) {
          verified.put(r.kind(), VerificationResults.newest(store, r.kind()));
        }
      }
      String format = "%-24s  %-10s  %-20s  %9s  %10s  %5s  %-27s  %s%n";
      out()
          .printf(
              format, "ID", "KIND", "STARTED", "DURATION", "STORED", "PARTS", "VERIFIED", "SOURCE");
      for (BackupRecord r : records) {
        out()
            .printf(
                format,
                r.id(),
                r.kind(),
                r.startedAt().truncatedTo(ChronoUnit.SECONDS),
                duration(Duration.between(r.startedAt(), r.finishedAt())),
                ByteSizes.human(r.storedSize()),
                r.parts().size(),
                verification(verified.get(r.kind()).get(r.id())),
                r.source().describe());
      }
      if (records.isEmpty()) {
        out()
            .println(
                "repository '"
                    + store.describe()
                    + "' holds no "
                    + (kind == null ? "" : kind + " ")
                    + "backups");
      }
      return ExitCodes.DONE;
    }

    @Override
    protected boolean pushesMetrics() {
      return false;
    }

    /** {@code ok 2026-11-24T05:30:00Z}, {@code FAILED 2026-...}, or {@code never}. */
    private static String verification(VerificationResult newest) {
      if (newest == null) {
        return "never";
      }
      return (newest.ok() ? "ok " : "FAILED ") + newest.checkedAt().truncatedTo(ChronoUnit.SECONDS);
    }
  }

  /** {@code catalog show ID|latest [--kind K]}. */
  @Command(
      name = "show",
      description = "Print one backup record as JSON: every part, its sizes and checksum.")
  public static final class Show extends JobCommand {
    @Mixin private RepositoryOptions repository = RepositoryOptions.keyOptional();

    @Parameters(
        index = "0",
        arity = "0..1",
        paramLabel = "ID|latest",
        description = "A backup id (like 20261124T020000Z-a1b2c3), or latest.")
    private String which;

    @Option(
        names = "--kind",
        paramLabel = "KIND",
        description = "The kind, for latest: db-logical, db-base, dapr or manifests.")
    private String kindName;

    private BackupKind kind;

    @Override
    protected void validate(ConfigProblems problems) {
      kind = kind(kindName, problems);
      if (which == null) {
        problems.add("ID|latest: not given (a backup id, or latest)");
      } else if (!which.equals("latest") && !BackupId.isValid(which)) {
        problems.add(
            "ID|latest: '"
                + which
                + "' is neither a backup id (like 20261124T020000Z-a1b2c3) nor latest");
      }
    }

    @Override
    protected int run() throws IOException {
      BackupRecord record =
          openExistingRepository(repository.openStore()).catalog().resolve(which, kind);
      out().println(json(record));
      return ExitCodes.DONE;
    }

    @Override
    protected boolean pushesMetrics() {
      return false;
    }
  }

  /** The record exactly as the catalog stores it; records hold no secret. */
  private static String json(BackupRecord record) {
    return new String(RecordJson.write(record), StandardCharsets.UTF_8).strip();
  }

  static String duration(Duration d) {
    long s = d.toSeconds();
    return s < 3600
        ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60)
        : String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
