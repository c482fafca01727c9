package io.aido.backup.core.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where a backup came from. Retention and freshness group backups by kind and {@link #key()}.
 *
 * @param cluster the cluster name, if known
 * @param namespace the Kubernetes namespace, if any
 * @param database the database name (db kinds), or {@code null}
 * @param serverVersion the source server's version, if any
 * @param labels further identifying facts (store name, ...), never secrets
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Source(
    String cluster,
    String namespace,
    String database,
    String serverVersion,
    Map<String, String> labels) {

  public Source {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** A source with only a database name. */
  public static Source database(String database, String serverVersion) {
    return new Source(null, null, database, serverVersion, Map.of());
  }

  /**
   * A short label for people: the parts that are set, joined by {@code /}, such as {@code
   * prod/todo/todo} or {@code todo}; {@code -} when none is.
   */
  public String describe() {
    String joined =
        Stream.of(cluster, namespace, database)
            .filter(p -> p != null && !p.isEmpty())
            .collect(Collectors.joining("/"));
    return joined.isEmpty() ? "-" : joined;
  }

  /** The grouping key: the same source across runs gets the same key. */
  public String key() {
    StringBuilder b = new StringBuilder();
    b.append(cluster == null ? "" : cluster).append('/');
    b.append(namespace == null ? "" : namespace).append('/');
    b.append(database == null ? "" : database);
    return b.toString();
  }
}
