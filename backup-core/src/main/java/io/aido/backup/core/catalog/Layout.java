package io.aido.backup.core.catalog;

import io.aido.backup.core.storage.ObjectKey;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * The repository layout, format 1. Every object name the project writes comes from here.
 *
 * <pre>
 * format.json                            repository format version, created once
 * record-seals.json                      from when on records are sealed, created once
 * catalog/&lt;kind&gt;/&lt;backup-id&gt;.json        the backup record, written last
 * data/&lt;kind&gt;/&lt;backup-id&gt;/&lt;part&gt;         payload objects, compressed then encrypted
 * wal/&lt;timeline&gt;/&lt;segment&gt;               archived WAL segments
 * verify/&lt;kind&gt;/&lt;backup-id&gt;/&lt;time&gt;.json  verification results, appended
 * audit/&lt;yyyy-MM-dd&gt;/&lt;time&gt;-&lt;event&gt;.json audit events, appended
 * lease/&lt;kind&gt;/&lt;backup-id&gt;/&lt;holder&gt;.json  a reader's claim on a backup, until it expires
 * probe/&lt;time&gt;-&lt;random&gt;                  a writer's pre-flight probe, deleted at once
 * drills/&lt;time&gt;.json                      disaster-recovery drill reports, appended
 * </pre>
 */
public final class Layout {
  /** The repository format this version reads and writes. */
  public static final int REPOSITORY_FORMAT = 1;

  public static final String CATALOG = "catalog/";
  public static final String DATA = "data/";
  public static final String WAL = "wal/";
  public static final String VERIFY = "verify/";
  public static final String AUDIT = "audit/";
  public static final String LEASE = "lease/";
  public static final String PROBE = "probe/";
  public static final String DRILLS = "drills/";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Layout() {}

  public static ObjectKey format() {
    return ObjectKey.of("format.json");
  }

  /** The seal marker ({@link SealMarker}): from when on the repository's records are sealed. */
  public static ObjectKey sealMarker() {
    return ObjectKey.of("record-seals.json");
  }

  /**
   * What a backup record's seal is bound to (associated data beside the record's content): {@code
   * record:<kind>/<id>}.
   */
  public static String recordSealBinding(BackupKind kind, BackupId id) {
    return "record:" + kind.id() + "/" + id;
  }

  public static ObjectKey record(BackupKind kind, BackupId id) {
    return ObjectKey.of(CATALOG + kind.id() + "/" + id + ".json");
  }

  /** {@code catalog/} or {@code catalog/<kind>/}. */
  public static String recordPrefix(BackupKind kind) {
    return kind == null ? CATALOG : CATALOG + kind.id() + "/";
  }

  public static String dataPrefix(BackupKind kind, BackupId id) {
    return DATA + kind.id() + "/" + id + "/";
  }

  public static ObjectKey part(BackupKind kind, BackupId id, String partName) {
    return ObjectKey.of(dataPrefix(kind, id) + partName);
  }

  /** A pre-flight probe object: written and deleted at once to prove the store takes writes. */
  public static ObjectKey probe(Instant at, String random) {
    return ObjectKey.of(PROBE + STAMP.format(at) + "-" + random);
  }

  public static ObjectKey walSegment(String timeline, String segment) {
    return ObjectKey.of(WAL + timeline + "/" + segment);
  }

  public static String verifyPrefix(BackupKind kind, BackupId id) {
    return VERIFY + kind.id() + "/" + id + "/";
  }

  public static ObjectKey verification(BackupKind kind, BackupId id, Instant at) {
    return ObjectKey.of(verifyPrefix(kind, id) + STAMP.format(at) + ".json");
  }

  public static String leasePrefix(BackupKind kind, BackupId id) {
    return LEASE + kind.id() + "/" + id + "/";
  }

  public static ObjectKey lease(BackupKind kind, BackupId id, String holder) {
    return ObjectKey.of(leasePrefix(kind, id) + holder + ".json");
  }

  /**
   * What a backup's wrapped data key is bound to (the associated data of its wrapping): {@code
   * backup:<kind>/<id>}, so a wrapped key copied into another record does not unwrap there.
   */
  public static String keyBinding(BackupKind kind, BackupId id) {
    return "backup:" + kind.id() + "/" + id;
  }

  /** What the wrapped data key in a WAL object's header is bound to: {@code wal:<object name>}. */
  public static String walKeyBinding(ObjectKey walObject) {
    return "wal:" + walObject.name();
  }

  /**
   * A record object's kind and id, read from its name {@code catalog/<kind>/<id>.json}.
   *
   * @param kind the kind its name says
   * @param id the id its name says
   */
  public record RecordName(BackupKind kind, BackupId id) {
    /** The kind and id of a record object, or empty if {@code key} is not named like a record. */
    public static Optional<RecordName> parse(ObjectKey key) {
      String[] parts = key.name().split("/");
      if (parts.length != 3 || !parts[0].equals("catalog") || !parts[2].endsWith(".json")) {
        return Optional.empty();
      }
      String id = parts[2].substring(0, parts[2].length() - ".json".length());
      if (!BackupId.isValid(id)) {
        return Optional.empty();
      }
      try {
        return Optional.of(new RecordName(BackupKind.fromId(parts[1]), new BackupId(id)));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
  }

  /** The report of the drill that started at {@code at}. */
  public static ObjectKey drillReport(Instant at) {
    return ObjectKey.of(DRILLS + stamp(at) + ".json");
  }

  /** A time stamp for object names: {@code 20261124T020000.123Z}. */
  public static String stamp(Instant at) {
    return STAMP.format(at);
  }
}
