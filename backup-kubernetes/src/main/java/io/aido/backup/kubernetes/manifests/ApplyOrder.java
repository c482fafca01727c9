package io.aido.backup.kubernetes.manifests;

import java.util.Set;

/**
 * The order in which objects are applied so that each finds what it needs: namespaces, CRDs (then a
 * wait until they are established), the other cluster-scoped objects (custom ones included),
 * service accounts, Secrets, ConfigMaps, RBAC and quotas, PVCs, Services, the other namespaced
 * objects (custom resources such as SealedSecrets among them), workloads, and Ingresses last.
 *
 * <p>Export lists types in this order, so an archive already holds its objects in apply order and
 * restore applies it in one streamed pass.
 */
public final class ApplyOrder {
  static final int NAMESPACES = 0;
  static final int CRDS = 1;
  static final int CLUSTER = 2;
  static final int SERVICE_ACCOUNTS = 3;
  static final int SECRETS = 4;
  static final int CONFIG_MAPS = 5;
  static final int POLICY = 6;
  static final int CLAIMS = 7;
  static final int SERVICES = 8;
  static final int OTHER = 9;
  static final int WORKLOADS = 10;
  static final int INGRESSES = 11;

  private static final Set<String> WORKLOAD_KINDS =
      Set.of(
          "apps/Deployment",
          "apps/StatefulSet",
          "apps/DaemonSet",
          "apps/ReplicaSet",
          "batch/Job",
          "batch/CronJob",
          "/Pod",
          "/ReplicationController");
  private static final Set<String> POLICY_KINDS =
      Set.of(
          "rbac.authorization.k8s.io/Role",
          "rbac.authorization.k8s.io/RoleBinding",
          "/LimitRange",
          "/ResourceQuota",
          "networking.k8s.io/NetworkPolicy");

  private ApplyOrder() {}

  /** The rank of a type: lower ranks are applied first. */
  public static int rank(String group, String kind, boolean namespaced) {
    String key = group + "/" + kind;
    if (key.equals("/Namespace")) {
      return NAMESPACES;
    }
    if (key.equals("apiextensions.k8s.io/CustomResourceDefinition")) {
      return CRDS;
    }
    if (!namespaced) {
      return CLUSTER;
    }
    return switch (key) {
      case "/ServiceAccount" -> SERVICE_ACCOUNTS;
      case "/Secret" -> SECRETS;
      case "/ConfigMap" -> CONFIG_MAPS;
      case "/PersistentVolumeClaim" -> CLAIMS;
      case "/Service" -> SERVICES;
      case "networking.k8s.io/Ingress" -> INGRESSES;
      default ->
          WORKLOAD_KINDS.contains(key) ? WORKLOADS : POLICY_KINDS.contains(key) ? POLICY : OTHER;
    };
  }
}
