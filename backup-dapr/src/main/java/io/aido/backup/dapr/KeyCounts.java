package io.aido.backup.dapr;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of keys by kind, by app and by actor type: what a snapshot says it holds, and what a
 * restore compares against. Not thread-safe.
 */
public final class KeyCounts {
  private long total;
  private final Map<String, Long> byKind = new TreeMap<>();
  private final Map<String, Long> byApp = new TreeMap<>();
  private final Map<String, Long> byActorType = new TreeMap<>();

  /** Counts one key. */
  public void add(DaprKey key) {
    total++;
    byKind.merge(key.kind().id(), 1L, Long::sum);
    if (key.appId() != null) {
      byApp.merge(key.appId(), 1L, Long::sum);
    }
    if (key.actorType() != null) {
      byActorType.merge(key.actorType(), 1L, Long::sum);
    }
  }

  /** Adds every count of {@code other}. */
  public void addAll(KeyCounts other) {
    total += other.total;
    other.byKind.forEach((k, v) -> byKind.merge(k, v, Long::sum));
    other.byApp.forEach((k, v) -> byApp.merge(k, v, Long::sum));
    other.byActorType.forEach((k, v) -> byActorType.merge(k, v, Long::sum));
  }

  public long total() {
    return total;
  }

  public Map<String, Long> byKind() {
    return Map.copyOf(byKind);
  }

  public Map<String, Long> byApp() {
    return Map.copyOf(byApp);
  }

  public Map<String, Long> byActorType() {
    return Map.copyOf(byActorType);
  }

  /**
   * The counts as record facts: {@code keys}, {@code byKind}, {@code byApp}, {@code byActorType}.
   */
  public Map<String, Object> facts() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("keys", total);
    f.put("byKind", new TreeMap<>(byKind));
    f.put("byApp", new TreeMap<>(byApp));
    f.put("byActorType", new TreeMap<>(byActorType));
    return f;
  }

  /** Reads counts written by {@link #facts()} (JSON gives back Integer or Long). */
  public static KeyCounts fromFacts(Object facts) {
    KeyCounts c = new KeyCounts();
    if (facts instanceof Map<?, ?> m) {
      if (m.get("keys") instanceof Number n) {
        c.total = n.longValue();
      }
      read(m.get("byKind"), c.byKind);
      read(m.get("byApp"), c.byApp);
      read(m.get("byActorType"), c.byActorType);
    }
    return c;
  }

  private static void read(Object o, Map<String, Long> into) {
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> into.put(String.valueOf(k), ((Number) v).longValue()));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyCounts c
        && total == c.total
        && byKind.equals(c.byKind)
        && byApp.equals(c.byApp)
        && byActorType.equals(c.byActorType);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(total) * 31 + byKind.hashCode();
  }

  @Override
  public String toString() {
    return total + " keys " + byKind + ", by app " + byApp + ", by actor type " + byActorType;
  }
}
