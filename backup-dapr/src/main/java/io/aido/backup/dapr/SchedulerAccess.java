package io.aido.backup.dapr;

import io.aido.backup.core.cli.JobException;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Finds the Dapr Scheduler's etcd and opens a {@link SchedulerStore} on it.
 *
 * <p>With endpoints given ({@code --scheduler-endpoints}), those are used as they are. Otherwise
 * the StatefulSet {@code dapr-scheduler-server} in the Scheduler's namespace (default {@code
 * dapr-system}) is looked up by name, and its pods {@code dapr-scheduler-server-<i>} are reached
 * through a Kubernetes port-forward to their etcd client port 2379: Dapr 1.15+ binds the embedded
 * etcd's client listener to 127.0.0.1 inside the pod (dapr/dapr {@code
 * pkg/scheduler/server/internal/etcd/config.go}, {@code ListenClientUrls}), so no Service reaches
 * it over the network. A snapshot reads through the first ready pod (all replicas are one etcd
 * cluster); a restore forwards to every ready pod and lets jetcd spread and fail over.
 *
 * <p>Needs, in the Scheduler's namespace: {@code get} on {@code statefulsets} and {@code pods} (by
 * name) and {@code create} on {@code pods/portforward}.
 */
public final class SchedulerAccess {
  static final String STATEFUL_SET = "dapr-scheduler-server";
  static final int CLIENT_PORT = 2379;

  private SchedulerAccess() {}

  /** What {@code --scheduler} asks for. */
  enum Mode {
    AUTO,
    OFF,
    REQUIRED,
    /** As REQUIRED, and the state stores are left out. */
    ONLY;

    static Optional<Mode> parse(String s) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
          return Optional.of(m);
        }
      }
      return Optional.empty();
    }
  }

  /** An open Scheduler store and the port-forwards it runs over; closing closes them all. */
  public static final class Target implements AutoCloseable {
    private final SchedulerStore store;
    private final String where;
    private final List<AutoCloseable> resources;

    Target(SchedulerStore store, String where, List<AutoCloseable> resources) {
      this.store = store;
      this.where = where;
      this.resources = resources;
    }

    /** A Scheduler reached without Kubernetes (a drill's scratch etcd); closing closes it. */
    public static Target of(SchedulerStore store, String where) {
      return new Target(store, where, List.of());
    }

    SchedulerStore store() {
      return store;
    }

    String where() {
      return where;
    }

    @Override
    public void close() {
      store.close();
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception e) {
          // a port-forward that fails to close has nothing left to lose
        }
      }
    }
  }

  /** The Scheduler found, or why there is none (only when {@code mode} is AUTO). */
  record Found(Optional<Target> target, String absent) {}

  /**
   * Opens the Scheduler.
   *
   * @param tls the TLS files for {@code https://} endpoints, or null
   * @param allMembers whether to reach every ready replica (a restore) or one (a snapshot)
   * @param safe what the message says is safe ("nothing was written")
   * @throws JobException exit 1 if the Scheduler cannot be reached, or is absent in mode REQUIRED,
   *     or may not be looked up (RBAC)
   */
  static Found open(
      Mode mode,
      List<String> endpoints,
      String namespace,
      SchedulerStore.Tls tls,
      Supplier<KubernetesClient> kubernetes,
      boolean allMembers,
      String safe)
      throws JobException {
    if (mode == Mode.OFF) {
      return new Found(Optional.empty(), "--scheduler off");
    }
    if (!endpoints.isEmpty()) {
      String where = String.join(",", endpoints);
      try {
        return new Found(
            Optional.of(
                new Target(SchedulerStore.connect(endpoints, where, tls), where, List.of())),
            null);
      } catch (IOException e) {
        throw JobException.badInput(e.getMessage() + "; " + safe);
      }
    }
    KubernetesClient client = kubernetes.get();
    List<AutoCloseable> resources = new ArrayList<>();
    resources.add(client);
    try {
      StatefulSet sts =
          client.apps().statefulSets().inNamespace(namespace).withName(STATEFUL_SET).get();
      if (sts == null) {
        client.close();
        String absent = "no StatefulSet " + namespace + "/" + STATEFUL_SET;
        if (mode == Mode.REQUIRED || mode == Mode.ONLY) {
          throw JobException.failed(
              "unable to find the Dapr Scheduler: "
                  + absent
                  + " (--scheduler "
                  + mode.name().toLowerCase(java.util.Locale.ROOT)
                  + "); "
                  + safe,
              null);
        }
        return new Found(Optional.empty(), absent);
      }
      int replicas =
          sts.getSpec() == null || sts.getSpec().getReplicas() == null
              ? 1
              : sts.getSpec().getReplicas();
      List<String> pods = new ArrayList<>();
      List<String> local = forward(client, namespace, replicas, allMembers, resources, pods);
      if (local.isEmpty()) {
        throw new IOException(
            "no ready pod of StatefulSet " + namespace + "/" + STATEFUL_SET + " to reach");
      }
      String where = String.join(",", pods) + " (port-forward to " + CLIENT_PORT + ")";
      return new Found(
          Optional.of(new Target(SchedulerStore.connect(local, where, null), where, resources)),
          null);
    } catch (KubernetesClientException | IOException e) {
      closeAll(resources);
      String reason =
          e instanceof KubernetesClientException k && k.getCode() == 403
              ? "forbidden: this identity may not look up the Dapr Scheduler in namespace "
                  + namespace
                  + " (Role aido-backup-dapr-snapshot-scheduler grants it)"
              : e.getMessage();
      throw JobException.failed(
          "unable to reach the Dapr Scheduler in namespace "
              + namespace
              + ": "
              + reason
              + "; "
              + safe
              + " (--scheduler off leaves reminders and jobs out)",
          e);
    } catch (JobException e) {
      closeAll(resources);
      throw e;
    }
  }

  /**
   * Port-forwards to the ready Scheduler pods (the first, or every one with {@code allMembers});
   * returns their local client URLs and adds each forward to {@code resources} and its pod to
   * {@code pods}.
   */
  private static List<String> forward(
      KubernetesClient client,
      String namespace,
      int replicas,
      boolean allMembers,
      List<AutoCloseable> resources,
      List<String> pods) {
    List<String> local = new ArrayList<>();
    for (int i = 0; i < replicas && (allMembers || local.isEmpty()); i++) {
      String name = STATEFUL_SET + "-" + i;
      Pod pod = client.pods().inNamespace(namespace).withName(name).get();
      if (pod == null || !ready(pod)) {
        continue;
      }
      LocalPortForward forward =
          client.pods().inNamespace(namespace).withName(name).portForward(CLIENT_PORT);
      resources.add(0, forward);
      local.add("http://127.0.0.1:" + forward.getLocalPort());
      pods.add(namespace + "/" + name);
    }
    return local;
  }

  private static boolean ready(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType()) && "True".equals(c.getStatus())) {
        return true;
      }
    }
    return false;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // closing after a failure: the failure is what gets reported
      }
    }
  }
}
