package io.aido.backup.core.retention;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Leases that keep retention away from a backup while a restore or a verification reads it.
 *
 * <p>Protocol: a reader {@linkplain #acquire acquires} a lease at {@code
 * lease/<kind>/<backup-id>/<holder>.json} (create-only, with an expiry), then checks that the
 * backup's record still exists, reads, and {@linkplain #release releases} the lease. Retention
 * reads the leases before it decides and again just before it deletes a backup, and never deletes a
 * backup with a {@linkplain #live live} lease. A reader that dies leaves a lease that stops
 * protecting the backup once it expires.
 *
 * <p>Restrictions: the stores have no compare-and-swap, so there is a window of one round trip in
 * which a lease written after retention's last check is missed; the reader then fails with the
 * store's not-found error (never with wrong data) and can retry on another backup. A lease object
 * that cannot be read or parsed counts as live: an unknown claim protects the backup.
 *
 * <pre>{@code
 * Lease lease = Leases.acquire(store, kind, id, "restore-" + runId, "restore", Duration.ofHours(6), clock.instant());
 * try { ... read the backup ... } finally { Leases.release(store, kind, id, lease.holder()); }
 * }</pre>
 */
public final class Leases {
  /** Clocks of readers and of retention may differ by this much; a lease lives this much longer. */
  public static final Duration CLOCK_TOLERANCE = Duration.ofMinutes(5);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern HOLDER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Leases() {}

  /**
   * Writes a lease on a backup.
   *
   * @param holder a name unique to this run: letters, digits, {@code . _ -}, at most 100
   * @throws IllegalArgumentException if {@code holder} is malformed or {@code ttl} not positive
   * @throws io.aido.backup.core.storage.ObjectExistsException if this holder already has a lease
   * @throws IOException if the store fails
   */
  public static Lease acquire(
      BlobStore store,
      BackupKind kind,
      BackupId id,
      String holder,
      String purpose,
      Duration ttl,
      Instant now)
      throws IOException {
    if (holder == null || !HOLDER.matcher(holder).matches()) {
      throw new IllegalArgumentException(
          "invalid lease holder '" + holder + "' (letters, digits, '.', '_', '-'; at most 100)");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("lease duration must be positive, got " + ttl);
    }
    Lease lease = new Lease(holder, purpose, now, now.plus(ttl));
    try (InputStream in = new ByteArrayInputStream(JSON.writeValueAsBytes(lease))) {
      store.create(Layout.lease(kind, id, holder), in);
    }
    return lease;
  }

  /**
   * A reader's lease and the live leases others held on the same backup when it was taken.
   *
   * @param lease the lease taken, empty when the store refused it (a read-only repository)
   * @param others the other live leases on the backup, which a second run names
   */
  public record Held(Optional<Lease> lease, List<Lease> others) {
    public Held {
      Objects.requireNonNull(lease, "lease");
      others = List.copyOf(others);
    }

    /** "also held by a restore by 'restore-…' since T (until T)", or empty when none. */
    public String othersSentence() {
      if (others.isEmpty()) {
        return "";
      }
      StringBuilder b = new StringBuilder("also held by ");
      for (int i = 0; i < others.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(describe(others.get(i)));
      }
      return b.toString();
    }
  }

  /**
   * Takes a lease on a backup for the length of a read, with a holder name unique to this run (the
   * purpose, the host and the process id), and reports the other live leases on it. A store that
   * refuses the write (a read-only repository, as a restore in a disaster may have) is no reason
   * not to read: the lease is then empty and the read goes on without retention's protection.
   *
   * <p>Never throws: a store that cannot be listed or written gives no lease and no others.
   *
   * @param purpose what the reader does: {@code restore}, {@code verify}
   */
  public static Held hold(
      BlobStore store, BackupKind kind, BackupId id, String purpose, Duration ttl, Instant now) {
    List<Lease> others;
    try {
      others = live(store, kind, id, now);
    } catch (IOException | RuntimeException e) {
      others = List.of();
    }
    Optional<Lease> lease;
    try {
      lease = Optional.of(acquire(store, kind, id, holderName(purpose), purpose, ttl, now));
    } catch (IOException | UnsupportedOperationException e) {
      lease = Optional.empty();
    }
    return new Held(lease, others);
  }

  /** A holder name unique to this run: {@code <purpose>-<host>-<pid>-<random>}. */
  static String holderName(String purpose) {
    String host = System.getenv().getOrDefault("HOSTNAME", "");
    host = host.replaceAll("[^A-Za-z0-9._-]", "");
    String name =
        purpose
            + (host.isEmpty() ? "" : "-" + host)
            + "-"
            + ProcessHandle.current().pid()
            + "-"
            + HexFormat.of().formatHex(randomBytes(3));
    return name.length() <= 100 ? name : name.substring(name.length() - 100);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** "a restore by 'restore-host-42-a1b2c3' since T (until T)": who holds a lease, for messages. */
  public static String describe(Lease lease) {
    return "a "
        + lease.purpose()
        + " by '"
        + lease.holder()
        + "' since "
        + lease.acquiredAt()
        + (lease.expiresAt().equals(Instant.MAX) ? "" : " (until " + lease.expiresAt() + ")");
  }

  /** Removes a lease; succeeds when it is already gone. */
  public static void release(BlobStore store, BackupKind kind, BackupId id, String holder)
      throws IOException {
    store.delete(Layout.lease(kind, id, holder));
  }

  /**
   * The leases on a backup that protect it at {@code now}: not yet expired (with {@link
   * #CLOCK_TOLERANCE}), or unreadable.
   *
   * @throws IOException if listing fails
   */
  public static List<Lease> live(BlobReader reader, BackupKind kind, BackupId id, Instant now)
      throws IOException {
    return liveAmong(reader, reader.list(Layout.leasePrefix(kind, id)), now)
        .getOrDefault(id, List.of());
  }

  /**
   * The live leases of every backup of {@code kind}, by backup, with one listing.
   *
   * @throws IOException if listing fails
   */
  public static Map<BackupId, List<Lease>> liveByBackup(
      BlobReader reader, BackupKind kind, Instant now) throws IOException {
    return liveAmong(reader, reader.list(Layout.LEASE + kind.id() + "/"), now);
  }

  private static Map<BackupId, List<Lease>> liveAmong(
      BlobReader reader, List<ObjectInfo> objects, Instant now) throws IOException {
    Map<BackupId, List<Lease>> live = new HashMap<>();
    for (ObjectInfo info : objects) {
      String[] segments = info.key().name().split("/");
      if (segments.length != 4 || !BackupId.isValid(segments[2])) {
        continue;
      }
      Lease lease = read(reader, info);
      if (lease != null && now.minus(CLOCK_TOLERANCE).isBefore(lease.expiresAt())) {
        live.computeIfAbsent(new BackupId(segments[2]), k -> new ArrayList<>()).add(lease);
      }
    }
    return live;
  }

  /** The lease in {@code info}, null if it vanished, or a never-expiring stand-in if unreadable. */
  private static Lease read(BlobReader reader, ObjectInfo info) throws IOException {
    ObjectKey key = info.key();
    try (InputStream in = reader.open(key)) {
      return JSON.readValue(in.readNBytes(64 * 1024), Lease.class);
    } catch (ObjectNotFoundException released) {
      return null;
    } catch (IOException | RuntimeException unreadable) {
      return new Lease(key.fileName(), "unreadable lease", info.created(), Instant.MAX);
    }
  }
}
