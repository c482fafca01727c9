package io.aido.backup.dapr;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of Scheduler entries: reminders and jobs (each also by namespace; reminders by actor type,
 * jobs by app) and the counters that go with them. Not thread-safe.
 */
public final class SchedulerCounts {
  private long reminders;
  private long jobs;
  private long counters;
  private final Map<String, Long> byNamespace = new TreeMap<>();
  private final Map<String, Long> byApp = new TreeMap<>();
  private final Map<String, Long> byActorType = new TreeMap<>();

  /** Counts one entry; a counter only as a counter, so each reminder or job is counted once. */
  public void add(SchedulerKey key) {
    if (key.counter()) {
      counters++;
      return;
    }
    if (key.kind() == SchedulerKey.Kind.REMINDER) {
      reminders++;
      byActorType.merge(key.actorType(), 1L, Long::sum);
    } else {
      jobs++;
      byApp.merge(key.appId(), 1L, Long::sum);
    }
    byNamespace.merge(key.namespace(), 1L, Long::sum);
  }

  public long reminders() {
    return reminders;
  }

  public long jobs() {
    return jobs;
  }

  public long counters() {
    return counters;
  }

  /** Every etcd key counted: reminders, jobs and counters. */
  public long entries() {
    return reminders + jobs + counters;
  }

  public Map<String, Long> byNamespace() {
    return Map.copyOf(byNamespace);
  }

  public Map<String, Long> byApp() {
    return Map.copyOf(byApp);
  }

  public Map<String, Long> byActorType() {
    return Map.copyOf(byActorType);
  }

  /**
   * As record facts: {@code entries}, {@code reminders}, {@code jobs}, {@code counters}, {@code
   * byNamespace}, {@code byApp} (jobs), {@code byActorType} (reminders).
   */
  public Map<String, Object> facts() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("entries", entries());
    f.put("reminders", reminders);
    f.put("jobs", jobs);
    f.put("counters", counters);
    f.put("byNamespace", new TreeMap<>(byNamespace));
    f.put("byApp", new TreeMap<>(byApp));
    f.put("byActorType", new TreeMap<>(byActorType));
    return f;
  }

  /** Reads counts written by {@link #facts()}. */
  public static SchedulerCounts fromFacts(Object facts) {
    SchedulerCounts c = new SchedulerCounts();
    if (facts instanceof Map<?, ?> m) {
      c.reminders = number(m.get("reminders"));
      c.jobs = number(m.get("jobs"));
      c.counters = number(m.get("counters"));
      read(m.get("byNamespace"), c.byNamespace);
      read(m.get("byApp"), c.byApp);
      read(m.get("byActorType"), c.byActorType);
    }
    return c;
  }

  private static long number(Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  private static void read(Object o, Map<String, Long> into) {
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> into.put(String.valueOf(k), number(v)));
    }
  }

  @Override
  public String toString() {
    return reminders
        + " reminder(s) "
        + byActorType
        + ", "
        + jobs
        + " job(s) "
        + byApp
        + ", "
        + counters
        + " counter(s)";
  }
}
