package io.aido.backup.dapr;

import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;

/**
 * What a key in the Dapr Scheduler's etcd is, by the layout Dapr 1.15+ writes.
 *
 * <p>The Scheduler runs the go-etcd-cron library with key namespace {@code dapr} (dapr/dapr {@code
 * pkg/scheduler/server/internal/cron/cron.go}); the library keeps each job at {@code
 * dapr/jobs/<name>} and, once it has fired, its trigger count and last trigger time at {@code
 * dapr/counters/<name>}, and each Scheduler replica's partition claim at {@code
 * dapr/leadership/<partition>} under a 20-second lease (diagridio/go-etcd-cron {@code
 * internal/key/key.go}, {@code internal/leadership/leadership.go}). Dapr names a job by its target
 * (dapr/dapr {@code pkg/scheduler/server/internal/serialize/serialize.go}, {@code buildJobName}):
 *
 * <ul>
 *   <li>{@code actorreminder||<namespace>||<actor-type>||<actor-id>||<reminder>}: an actor reminder
 *       ({@link Kind#REMINDER}; workflows' timers are reminders too);
 *   <li>{@code app||<namespace>||<app-id>||<job>}: a job of the Jobs API ({@link Kind#JOB}).
 * </ul>
 *
 * <p>Only jobs and counters are data: leadership keys belong to the running replicas and are never
 * backed up (a restored claim would block a live replica's partition until its lease ran out).
 *
 * @param key the etcd key as text
 * @param counter whether it is a counter ({@code dapr/counters/...}) rather than the job itself
 * @param kind reminder or job
 * @param namespace the Kubernetes namespace of the app that made it
 * @param appId the app id of a job; {@code null} for a reminder (its key names no app)
 * @param actorType the actor type of a reminder; {@code null} for a job
 */
public record SchedulerKey(
    String key, boolean counter, Kind kind, String namespace, String appId, String actorType) {

  /** What made the entry. */
  public enum Kind {
    REMINDER("reminder"),
    JOB("job");

    private final String id;

    Kind(String id) {
      this.id = id;
    }

    /** The name in records and output. */
    public String id() {
      return id;
    }
  }

  /** The go-etcd-cron key namespace Dapr's Scheduler uses. */
  public static final String ROOT = "dapr/";

  /** Where the jobs are. */
  public static final String JOBS = ROOT + "jobs/";

  /** Where the counters of jobs that fired are. */
  public static final String COUNTERS = ROOT + "counters/";

  /**
   * Classifies {@code key}; empty for a key that is neither a job nor a counter of a reminder or a
   * Jobs API job (leadership, or a shape this code does not know).
   */
  public static Optional<SchedulerKey> classify(String key) {
    boolean counter;
    String name;
    if (key.startsWith(JOBS)) {
      counter = false;
      name = key.substring(JOBS.length());
    } else if (key.startsWith(COUNTERS)) {
      counter = true;
      name = key.substring(COUNTERS.length());
    } else {
      return Optional.empty();
    }
    String[] parts = name.split("\\|\\|", -1);
    if (parts.length >= 5 && parts[0].equals("actorreminder") && !parts[2].isEmpty()) {
      return Optional.of(new SchedulerKey(key, counter, Kind.REMINDER, parts[1], null, parts[2]));
    }
    if (parts.length >= 4 && parts[0].equals("app") && !parts[2].isEmpty()) {
      return Optional.of(new SchedulerKey(key, counter, Kind.JOB, parts[1], parts[2], null));
    }
    return Optional.empty();
  }

  /** The name of the job, the key without {@code dapr/jobs/} or {@code dapr/counters/}. */
  public String jobName() {
    return key.substring((counter ? COUNTERS : JOBS).length());
  }

  /**
   * Whether the entry is in {@code namespaces} (empty: all) and covered by {@code filter}: an app
   * id filter keeps that app's jobs, an actor type filter that type's reminders, as for state-store
   * keys.
   */
  public boolean selected(Collection<String> namespaces, KeyFilter filter) {
    if (!namespaces.isEmpty() && !namespaces.contains(namespace)) {
      return false;
    }
    if (!filter.appIds().isEmpty() && (appId == null || !filter.appIds().contains(appId))) {
      return false;
    }
    return filter.actorTypes().isEmpty()
        || (actorType != null && filter.actorTypes().contains(actorType));
  }

  /** {@code dapr/jobs/actorreminder||<namespace>||<type>||<id>||<name>}, as Dapr writes it. */
  public static String reminderJobKey(
      String namespace, String actorType, String actorId, String name) {
    return JOBS + String.join("||", "actorreminder", namespace, actorType, actorId, name);
  }

  /** {@code dapr/jobs/app||<namespace>||<app-id>||<name>}, as Dapr writes it. */
  public static String appJobKey(String namespace, String appId, String name) {
    return JOBS + String.join("||", "app", namespace, appId, name);
  }

  /** The first key after every key that starts with {@code prefix}: an etcd range's end. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return new byte[] {0};
  }
}
