package io.aido.backup.core.catalog;

import java.time.Instant;
import java.util.Objects;

/**
 * The content of {@link Layout#sealMarker()}: from when on a repository's records are sealed. The
 * first commit of a sealed record creates it (create-only, never rewritten; concurrent writers
 * agree on the first). A record that started at or after {@code sealedSince} and has no seal is
 * treated as tampered (its seal stripped), which stops a downgrade to unsealed records as long as
 * the marker itself is intact.
 *
 * @param format the marker format, {@value #FORMAT}
 * @param sealedSince the start of the first backup whose record was sealed
 * @param toolVersion the version of the tool that created it
 */
public record SealMarker(int format, Instant sealedSince, String toolVersion) {
  /** The marker format this version writes. */
  public static final int FORMAT = 1;

  public SealMarker {
    Objects.requireNonNull(sealedSince, "sealedSince");
    Objects.requireNonNull(toolVersion, "toolVersion");
  }

  /** Whether a record of a backup started at {@code startedAt} must carry a seal. */
  public boolean requiresSeal(Instant startedAt) {
    return !startedAt.isBefore(sealedSince);
  }
}
