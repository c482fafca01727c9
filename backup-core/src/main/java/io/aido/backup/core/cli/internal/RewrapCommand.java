package io.aido.backup.core.cli.internal;

import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.observability.AuditLog;
import io.aido.backup.core.repository.internal.KeyRewrap;
import io.aido.backup.core.storage.BlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code rewrap [--from-kek-uri URI] [--dry-run]}: wraps every backup's and WAL object's data key
 * by the current key-encryption key ({@code --kek-uri}), without touching backup data. See {@link
 * KeyRewrap} for what is replaced and why a killed run is safe.
 *
 * <p>Each object rewrapped gets an audit event ({@link AuditAction#REWRAP}) naming the key it came
 * from and the one it went to. Output: one line per object changed (or, with {@code --dry-run}, to
 * be changed) or failed, then a summary with the bytes read. Exit 0 when every object is current
 * afterwards (or, dry, could be made so), 1 when any could not be rewrapped (the others are done,
 * and a new run retries), 2 for bad configuration.
 *
 * <p>Test hook: the system property {@value #PAUSE_PROPERTY} ({@code before-replace:N} or {@code
 * after-replace:N}) makes the run print {@code rewrap paused ...} and wait forever at the Nth such
 * step, so a test can kill it with SIGKILL at an exact point.
 */
@Command(
    name = "rewrap",
    description = {
      "Wrap the data key of every backup and archived WAL object again with the current"
          + " key-encryption key (--kek-uri: a keyset file's primary key, or a Cloud KMS key's"
          + " primary version), replacing only the record or WAL header that holds it; backup"
          + " data is never read or rewritten.",
      "Keys wrapped by another key are opened with --from-kek-uri (or, if not given, with"
          + " --kek-uri itself: a rotated keyset keeps its old keys, a KMS key its old versions).",
      "Safe to kill and run again. Exit 1 when some object could not be rewrapped."
    })
public final class RewrapCommand extends JobCommand {
  /** The test hook's system property. */
  public static final String PAUSE_PROPERTY = "aido.backup.rewrap.pauseAt";

  private static final Logger LOG = LoggerFactory.getLogger(RewrapCommand.class);

  @Mixin private RepositoryOptions repository = new RepositoryOptions();

  @Option(
      names = "--from-kek-uri",
      paramLabel = "URI",
      split = ",",
      description =
          "Key(s) that wrapped the data keys now (a keyset file or a gcp-kms:// key): for moving"
              + " from one key to another, such as a keyset file to Cloud KMS.")
  private List<String> fromUris;

  @Option(names = "--dry-run", description = "List what would be rewrapped; change nothing.")
  private boolean dryRun;

  @Override
  protected void validate(ConfigProblems problems) {
    if (fromUris == null) {
      return;
    }
    String setting = EnvironmentDefaults.describe("--from-kek-uri");
    for (String uri : fromUris) {
      if (uri.isBlank()) {
        problems.add(setting, "empty key URI");
      } else if (!uri.startsWith(KeyEncryptionKeys.GCP_KMS_PREFIX)) {
        Path file;
        try {
          file = KeyEncryptionKeys.keysetPath(uri);
        } catch (IllegalArgumentException e) {
          problems.add(setting, e.getMessage());
          continue;
        }
        if (!Files.isRegularFile(file)) {
          problems.add(setting, "keyset file '" + file + "' does not exist");
        }
      }
    }
  }

  @Override
  protected int run() throws Exception {
    BlobStore store = repository.openStore();
    openExistingRepository(store);
    KeyEncryptionKey to = repository.kek();
    List<KeyEncryptionKey> from = new ArrayList<>();
    for (String uri : fromUris == null ? List.<String>of() : fromUris) {
      from.add(KeyEncryptionKeys.open(uri));
    }
    // asks Cloud KMS for the primary version now, so that every line can name it
    to.primaryVersion();
    String target = to.describeCurrent();
    AuditLog audit = audit(store);
    Pause pause = Pause.fromProperty(System.getProperty(PAUSE_PROPERTY));
    KeyRewrap.Listener listener =
        (step, item) -> {
          pause.at(step);
          KillPoints.reach("rewrap-" + step.name().toLowerCase(Locale.ROOT).replace('_', '-'));
          if (step == KeyRewrap.Step.AFTER_REPLACE) {
            Map<String, String> details = new LinkedHashMap<>();
            details.put("object", item.object().name());
            details.put("from", item.from());
            details.put("to", target);
            audit.record(AuditAction.REWRAP, item.kind(), item.backupId(), details);
          }
        };
    KeyRewrap.Report report = new KeyRewrap(store, to, from, listener).run(dryRun);
    for (KeyRewrap.Item item : report.items()) {
      String what =
          item.backupId() == null
              ? "WAL object " + item.object()
              : "backup " + item.backupId() + " (" + item.kind() + ")";
      // a key wrapped by the current key before wrappings were bound is rewrapped to bind it
      String change =
          item.from() + " -> " + target + (target.equals(item.from()) ? " (now bound to it)" : "");
      switch (item.status()) {
        case REWRAPPED -> out().println("rewrapped " + what + ": " + change);
        case WOULD_REWRAP -> out().println("would rewrap " + what + ": " + change);
        case FAILED -> out().println("FAILED " + what + ": " + item.problem());
        case SKIPPED -> LOG.info("skipped {}: {}", what, item.problem());
        case CURRENT -> {}
      }
    }
    long failed = report.count(KeyRewrap.Status.FAILED);
    out()
        .printf(
            "rewrap%s: %d %s, %d already current, %d failed; read %d bytes (records and WAL"
                + " headers, and %d bytes of WAL bodies copied verbatim); no backup data part"
                + " was read%n",
            dryRun ? " (dry run)" : "",
            dryRun
                ? report.count(KeyRewrap.Status.WOULD_REWRAP)
                : report.count(KeyRewrap.Status.REWRAPPED),
            dryRun ? "to rewrap" : "rewrapped",
            report.count(KeyRewrap.Status.CURRENT),
            failed,
            report.bytesRead(),
            report.walBodyBytesCopied());
    long notCurrent = failed + (dryRun ? report.count(KeyRewrap.Status.WOULD_REWRAP) : 0);
    metrics()
        .gauge(
            "backup_keys_not_current",
            "Backups and WAL objects whose data key is not wrapped by the current key-encryption"
                + " key",
            notCurrent);
    if (failed > 0) {
      throw new IOException(
          failed
              + " object(s) could not be rewrapped and still depend on their old key (listed"
              + " above); the others are done, run rewrap again after fixing the cause");
    }
    return ExitCodes.DONE;
  }

  /** The test hook: waits forever at the Nth step of one kind. */
  private static final class Pause {
    private final KeyRewrap.Step step;
    private final int nth;
    private int seen;

    private Pause(KeyRewrap.Step step, int nth) {
      this.step = step;
      this.nth = nth;
    }

    static Pause fromProperty(String value) {
      if (value == null || value.isBlank()) {
        return new Pause(null, 0);
      }
      String[] parts = value.split(":");
      KeyRewrap.Step step =
          KeyRewrap.Step.valueOf(
              parts[0].trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
      return new Pause(step, Integer.parseInt(parts[1].trim()));
    }

    void at(KeyRewrap.Step s) {
      if (s != step || ++seen != nth) {
        return;
      }
      System.err.println("rewrap paused at " + s + " " + nth);
      System.err.flush();
      while (true) {
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
