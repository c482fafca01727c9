package io.aido.backup.core.retention;

import java.time.Instant;
import java.util.Objects;

/**
 * A reader's claim on one backup: while it is live, retention does not delete the backup.
 *
 * @param holder who holds it, unique per run (for example {@code restore-db-7f3a2c}); also the
 *     lease object's name
 * @param purpose what the holder does, such as {@code restore} or {@code verify}
 * @param acquiredAt when it was written
 * @param expiresAt when it stops protecting the backup, if the holder never releases it
 */
public record Lease(String holder, String purpose, Instant acquiredAt, Instant expiresAt) {
  public Lease {
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(acquiredAt, "acquiredAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
