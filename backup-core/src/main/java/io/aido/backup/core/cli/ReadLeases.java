package io.aido.backup.core.cli;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.retention.Leases;
import io.aido.backup.core.storage.BlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases one command run holds on the backups it reads ({@link JobCommand#openBackup}):
 * retention keeps a leased backup while it is read. Released when the run ends; a killed run's
 * lease expires after {@link #READ_LEASE}.
 */
final class ReadLeases {
  private static final Logger LOG = LoggerFactory.getLogger(JobCommand.class);

  /** How long a reader's lease protects a backup if the run dies without releasing it. */
  static final Duration READ_LEASE = Duration.ofHours(12);

  private interface Release {
    void run() throws IOException;
  }

  private final List<Release> releases = new ArrayList<>();

  /**
   * Takes a lease on the backup for the rest of the run ({@link Leases}), names the other runs that
   * hold one, and checks the backup was not removed meanwhile.
   *
   * @throws JobException "{@code <prefix>}it was removed from the repository meanwhile{@code
   *     <suffix>}" when its record is gone
   */
  void hold(
      Repository repo,
      BackupRecord record,
      String purpose,
      Instant now,
      String prefix,
      String suffix)
      throws JobException, IOException {
    BlobStore store = repo.store();
    Leases.Held held = Leases.hold(store, record.kind(), record.id(), purpose, READ_LEASE, now);
    if (!held.others().isEmpty()) {
      LOG.info("backup {} is {}", record.id(), held.othersSentence());
    }
    if (held.lease().isEmpty()) {
      LOG.warn(
          "unable to take a lease on backup {} in {}; retention is not kept away from it while it"
              + " is read",
          record.id(),
          store.describe());
      return;
    }
    String holder = held.lease().get().holder();
    releases.add(() -> Leases.release(store, record.kind(), record.id(), holder));
    KillPoints.reach("read-leased");
    if (store.stat(Layout.record(record.kind(), record.id())).isEmpty()) {
      throw JobException.failed(
          prefix + "it was removed from the repository meanwhile" + suffix, null);
    }
  }

  /** Releases every lease held; a lease that cannot be released expires by itself. */
  void releaseAll() {
    for (Release r : releases) {
      try {
        r.run();
      } catch (IOException | RuntimeException e) {
        LOG.warn("unable to release a lease; it expires by itself: {}", e.getMessage());
      }
    }
    releases.clear();
  }
}
