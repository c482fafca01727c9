package io.aido.backup.dapr;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The facts of a {@code dapr} backup record: what {@code snapshot} stores, typed, and how it is
 * stored (the same JSON names and shapes as every record of format 1).
 *
 * <pre>{@code
 * writer.commit(new DaprSnapshotFacts(...).toFacts());
 * for (DaprSnapshotFacts.Store s : DaprSnapshotFacts.of(record).stores()) { ... }
 * }</pre>
 *
 * @param snapshotFormat the version of the parts' {@link SnapshotFormat}
 * @param namespaces the namespaces snapshotted
 * @param resourcesPart the part holding the cleaned Dapr resources
 * @param resources Dapr resources per kind
 * @param stores the state stores snapshotted, one part each
 * @param skipped the state stores left out, with why
 * @param counts the keys of every store together
 * @param scheduler the Dapr Scheduler's reminders and jobs, or why they are not in the backup
 * @param filters what the snapshot was narrowed to
 */
public record DaprSnapshotFacts(
    int snapshotFormat,
    List<String> namespaces,
    String resourcesPart,
    Map<String, Long> resources,
    List<Store> stores,
    List<Skipped> skipped,
    KeyCounts counts,
    Scheduler scheduler,
    Filters filters) {

  public DaprSnapshotFacts {
    namespaces = List.copyOf(namespaces);
    Objects.requireNonNull(resourcesPart, "resourcesPart");
    resources = Collections.unmodifiableMap(new LinkedHashMap<>(resources));
    stores = List.copyOf(stores);
    skipped = List.copyOf(skipped);
    Objects.requireNonNull(counts, "counts");
    Objects.requireNonNull(scheduler, "scheduler");
    Objects.requireNonNull(filters, "filters");
  }

  /**
   * One state store's snapshot.
   *
   * @param type the store's type as the class that read it names it ({@code state.redis})
   * @param version the Component's version, empty when it has none
   * @param layout how the store keeps its keys ({@code hash}, {@code v1}, {@code v2})
   * @param table the PostgreSQL table, or {@code null} for a store without one
   * @param part the part holding its snapshot
   * @param expiredLeftOut keys that had expired when read, left out
   * @param notHashesLeftOut Redis keys that were not hashes, left out; {@code null} for other
   *     stores
   */
  public record Store(
      String namespace,
      String name,
      String type,
      String version,
      String layout,
      String table,
      String part,
      KeyCounts counts,
      long expiredLeftOut,
      Long notHashesLeftOut) {

    /** {@code namespace/name}. */
    public String id() {
      return namespace + "/" + name;
    }

    Map<String, Object> toFacts() {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("namespace", namespace);
      s.put("name", name);
      s.put("type", type);
      s.put("version", version);
      s.put("layout", layout);
      if (table != null) {
        s.put("table", table);
      }
      s.put("part", part);
      s.put("counts", counts.facts());
      s.put("expiredLeftOut", expiredLeftOut);
      if (notHashesLeftOut != null) {
        s.put("notHashesLeftOut", notHashesLeftOut);
      }
      return s;
    }

    static Store read(FactReader f) {
      return new Store(
          f.string("namespace"),
          f.string("name"),
          f.string("type"),
          f.string("version"),
          f.string("layout"),
          f.has("table") ? f.string("table") : null,
          f.string("part"),
          KeyCounts.fromFacts(f.raw("counts")),
          f.number("expiredLeftOut"),
          f.has("notHashesLeftOut") ? f.number("notHashesLeftOut") : null);
    }
  }

  /** A state store left out of the snapshot, and why. */
  public record Skipped(String namespace, String name, String type, String reason) {
    Map<String, Object> toFacts() {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("namespace", namespace);
      s.put("name", name);
      s.put("type", type);
      s.put("reason", reason);
      return s;
    }

    static Skipped read(FactReader f) {
      return new Skipped(
          f.string("namespace"), f.string("name"), f.string("type"), f.string("reason"));
    }
  }

  /**
   * The Dapr Scheduler's part, or why there is none.
   *
   * @param skipped why the backup holds no Scheduler part ({@code --scheduler off}, none found), or
   *     {@code null} when it holds one; the other fields are then {@code null} or zero
   * @param part the part holding the reminders and jobs
   * @param from where they were read
   * @param revision the etcd revision they were read at
   * @param leased entries that had a lease
   * @param expiredLeftOut entries that had expired when read, left out
   */
  public record Scheduler(
      String skipped,
      String part,
      String from,
      long revision,
      List<String> namespaces,
      SchedulerCounts counts,
      long leased,
      long expiredLeftOut) {

    static Scheduler skipped(String why) {
      return new Scheduler(why, null, null, 0, List.of(), null, 0, 0);
    }

    /** Whether the backup holds a Scheduler part. */
    boolean taken() {
      return part != null;
    }

    Map<String, Object> toFacts() {
      Map<String, Object> f = new LinkedHashMap<>();
      if (!taken()) {
        f.put("skipped", skipped);
        return f;
      }
      f.put("part", part);
      f.put("from", from);
      f.put("revision", revision);
      f.put("namespaces", namespaces);
      f.put("counts", counts.facts());
      f.put("leased", leased);
      f.put("expiredLeftOut", expiredLeftOut);
      return f;
    }

    static Scheduler read(FactReader f) {
      if (!f.has("part")) {
        return skipped(f.string("skipped"));
      }
      return new Scheduler(
          null,
          f.string("part"),
          f.string("from"),
          f.number("revision"),
          f.strings("namespaces"),
          SchedulerCounts.fromFacts(f.raw("counts")),
          f.number("leased"),
          f.number("expiredLeftOut"));
    }
  }

  /** What the snapshot was narrowed to: {@code --app-id}, {@code --actor-type}, {@code --store}. */
  public record Filters(List<String> appIds, List<String> actorTypes, List<String> stores) {
    Map<String, Object> toFacts() {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("appIds", appIds);
      f.put("actorTypes", actorTypes);
      f.put("stores", stores);
      return f;
    }

    static Filters read(FactReader f) {
      return new Filters(f.strings("appIds"), f.strings("actorTypes"), f.strings("stores"));
    }
  }

  /**
   * The facts of {@code record}.
   *
   * @throws IllegalArgumentException naming the backup and the fact if it is not a {@code dapr}
   *     record or a fact is missing or unreadable
   */
  public static DaprSnapshotFacts of(BackupRecord record) {
    if (record.kind() != BackupKind.DAPR) {
      throw new IllegalArgumentException(
          "backup " + record.id() + " is of kind " + record.kind() + ", not dapr");
    }
    FactReader f = FactReader.of(record);
    return new DaprSnapshotFacts(
        (int) f.number("snapshotFormat"),
        f.strings("namespaces"),
        f.string("resourcesPart"),
        f.counts("resources"),
        f.objects("stores").stream().map(Store::read).toList(),
        f.objects("skipped").stream().map(Skipped::read).toList(),
        KeyCounts.fromFacts(f.raw("counts")),
        Scheduler.read(f.object("scheduler")),
        Filters.read(f.object("filters")));
  }

  /** The facts as the record stores them. */
  Map<String, Object> toFacts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("snapshotFormat", snapshotFormat);
    facts.put("namespaces", namespaces);
    facts.put("resourcesPart", resourcesPart);
    facts.put("resources", resources);
    facts.put("stores", stores.stream().map(Store::toFacts).toList());
    facts.put("skipped", skipped.stream().map(Skipped::toFacts).toList());
    facts.put("counts", counts.facts());
    facts.put("scheduler", scheduler.toFacts());
    facts.put("filters", filters.toFacts());
    return facts;
  }

  /** The Scheduler part, when the backup holds one. */
  public Optional<Scheduler> schedulerPart() {
    return scheduler.taken() ? Optional.of(scheduler) : Optional.empty();
  }
}
