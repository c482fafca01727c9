package io.aido.backup.verify;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.observability.RunMetrics;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-currency step of a verify run: lists the backups whose data key is not wrapped by the
 * current key-encryption key (another key, an older keyset primary, an older Cloud KMS version) and
 * sets {@code backup_keys_not_current} per kind. These are no verification failure: they restore
 * while the old key exists, and {@code rewrap} moves them; the alert fires when they stay after a
 * grace period.
 */
final class KeyCurrency {
  private static final Logger LOG = LoggerFactory.getLogger(KeyCurrency.class);

  private KeyCurrency() {}

  /**
   * Prints one line per backup an older key wraps and sets the metric for each of {@code kinds}.
   *
   * @return how many, or -1 when the current Cloud KMS version cannot be read (no metric is set)
   */
  static int report(
      KeyEncryptionKey kek,
      List<BackupRecord> records,
      List<BackupKind> kinds,
      PrintStream out,
      RunMetrics metrics)
      throws GeneralSecurityException {
    Map<BackupKind, Integer> old = new EnumMap<>(BackupKind.class);
    try {
      for (BackupRecord r : records) {
        if (!kek.isCurrent(r.encryption())) {
          old.merge(r.kind(), 1, Integer::sum);
          out.println(
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
      metrics.gauge(
          "backup_keys_not_current",
          "Backups of this kind whose data key is not wrapped by the current key-encryption"
              + " key (run rewrap).",
          old.getOrDefault(k, 0),
          Map.of("kind", k.id()));
    }
    return old.values().stream().mapToInt(Integer::intValue).sum();
  }
}
