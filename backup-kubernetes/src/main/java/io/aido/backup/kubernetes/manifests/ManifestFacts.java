package io.aido.backup.kubernetes.manifests;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The facts of a {@code manifests} backup record: what {@code export} stores, typed, and how it is
 * stored (the same JSON names and shapes as every record of format 1).
 *
 * <pre>{@code
 * writer.commit(result.facts().toFacts());
 * PartRecord archive = ManifestFacts.of(record).archivePartOf(record);
 * }</pre>
 *
 * @param archivePart the part holding the tar archive
 * @param objects the total number of objects exported
 * @param counts objects per kind ({@code Deployment.apps}, {@code ConfigMap})
 * @param skipped objects left out per reason
 * @param namespaces the namespaces exported
 * @param helmReleases the Helm release revisions decoded, per {@code namespace/release}
 * @param unavailableApiGroups API group versions the server listed but could not serve; stored only
 *     when there is any
 */
public record ManifestFacts(
    String archivePart,
    long objects,
    Map<String, Long> counts,
    Map<String, Long> skipped,
    List<String> namespaces,
    Map<String, List<Integer>> helmReleases,
    List<String> unavailableApiGroups) {

  public ManifestFacts {
    Objects.requireNonNull(archivePart, "archivePart");
    counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    skipped = Collections.unmodifiableMap(new LinkedHashMap<>(skipped));
    namespaces = List.copyOf(namespaces);
    Map<String, List<Integer>> helm = new LinkedHashMap<>();
    helmReleases.forEach((release, revisions) -> helm.put(release, List.copyOf(revisions)));
    helmReleases = Collections.unmodifiableMap(helm);
    unavailableApiGroups = List.copyOf(unavailableApiGroups);
  }

  /**
   * The facts of {@code record}.
   *
   * @throws IllegalArgumentException naming the backup and the fact if it is not a {@code
   *     manifests} record or a fact is missing or unreadable
   */
  public static ManifestFacts of(BackupRecord record) {
    if (record.kind() != BackupKind.MANIFESTS) {
      throw new IllegalArgumentException(
          "backup " + record.id() + " is of kind " + record.kind() + ", not manifests");
    }
    Map<String, Object> f = record.facts();
    String where = "backup " + record.id() + " fact '";
    Map<String, List<Integer>> helm = new LinkedHashMap<>();
    map(f, "helmReleases", where)
        .forEach(
            (release, revisions) ->
                helm.put(
                    release,
                    list(revisions, where + "helmReleases'").stream()
                        .map(r -> number(r, where + "helmReleases'").intValue())
                        .toList()));
    return new ManifestFacts(
        string(f.get("archivePart"), where + "archivePart'"),
        number(f.get("objects"), where + "objects'").longValue(),
        counts(f, "counts", where),
        counts(f, "skipped", where),
        strings(f.get("namespaces"), where + "namespaces'"),
        helm,
        f.containsKey("unavailableApiGroups")
            ? strings(f.get("unavailableApiGroups"), where + "unavailableApiGroups'")
            : List.of());
  }

  /** The facts as the record stores them. */
  public Map<String, Object> toFacts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("archivePart", archivePart);
    facts.put("objects", objects);
    facts.put("counts", counts);
    facts.put("skipped", skipped);
    facts.put("namespaces", namespaces);
    facts.put("helmReleases", helmReleases);
    if (!unavailableApiGroups.isEmpty()) {
      facts.put("unavailableApiGroups", unavailableApiGroups);
    }
    return facts;
  }

  private static Map<String, Object> map(Map<String, Object> facts, String name, String where) {
    if (!(facts.get(name) instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(where + name + "' is missing or not an object");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  private static Map<String, Long> counts(Map<String, Object> facts, String name, String where) {
    Map<String, Long> out = new LinkedHashMap<>();
    map(facts, name, where)
        .forEach((k, v) -> out.put(k, number(v, where + name + "'").longValue()));
    return out;
  }

  private static String string(Object value, String what) {
    if (!(value instanceof String s)) {
      throw new IllegalArgumentException(what + " is missing or not a string");
    }
    return s;
  }

  private static Number number(Object value, String what) {
    if (!(value instanceof Number n)) {
      throw new IllegalArgumentException(what + " is missing or not a number");
    }
    return n;
  }

  private static List<?> list(Object value, String what) {
    if (!(value instanceof List<?> l)) {
      throw new IllegalArgumentException(what + " is missing or not a list");
    }
    return l;
  }

  private static List<String> strings(Object value, String what) {
    return list(value, what).stream().map(v -> string(v, what)).toList();
  }
}
