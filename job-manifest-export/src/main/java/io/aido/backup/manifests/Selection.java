package io.aido.backup.manifests;

import io.aido.backup.kubernetes.ResourceType;
import io.aido.backup.kubernetes.manifests.SkipRules;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an export takes: namespaces, cluster-scoped kinds, kind and label filters, and Secrets.
 *
 * @param namespaces the namespaces named by the user; empty means every namespace but the system
 *     ones ({@link #isSystemNamespace})
 * @param clusterKinds the cluster-scoped kinds to export ({@link ResourceType#matches} names)
 * @param includeKinds when not empty, only these kinds (namespaced and cluster-scoped alike)
 * @param excludeKinds never these kinds
 * @param selector a label selector for namespaced objects (Kubernetes syntax), or null
 * @param clusterSelector a label selector for cluster-scoped objects, or null
 * @param excludeLabels objects carrying one of these labels ({@code key} or {@code key=value}) are
 *     left out
 * @param secrets which Secrets to keep
 */
record Selection(
    List<String> namespaces,
    List<String> clusterKinds,
    List<String> includeKinds,
    List<String> excludeKinds,
    String selector,
    String clusterSelector,
    List<String> excludeLabels,
    SecretsMode secrets) {

  /** Exported cluster-scoped kinds unless {@code --cluster-kind} says otherwise. */
  static final List<String> DEFAULT_CLUSTER_KINDS =
      List.of(
          "CustomResourceDefinition",
          "ClusterRole",
          "ClusterRoleBinding",
          "StorageClass",
          "PriorityClass",
          "IngressClass");

  Selection {
    namespaces = List.copyOf(namespaces);
    clusterKinds = List.copyOf(clusterKinds);
    includeKinds = List.copyOf(includeKinds);
    excludeKinds = List.copyOf(excludeKinds);
    excludeLabels = List.copyOf(excludeLabels);
  }

  /**
   * {@code kube-*} (kube-system, kube-public, kube-node-lease) and the namespaces GKE manages
   * ({@code gke-*}, {@code gmp-*}).
   */
  static boolean isSystemNamespace(String namespace) {
    return namespace.startsWith("kube-")
        || namespace.startsWith("gke-")
        || namespace.startsWith("gmp-");
  }

  /** Why a type is not exported, or empty when it is. */
  Optional<String> typeLeftOut(ResourceType type) {
    Optional<String> skipped = SkipRules.skippedType(type);
    if (skipped.isPresent()) {
      return skipped;
    }
    if (excludeKinds.stream().anyMatch(type::matches)) {
      return Optional.of("excluded by --exclude-kind");
    }
    if (!includeKinds.isEmpty() && includeKinds.stream().noneMatch(type::matches)) {
      return Optional.of("not named by --include-kind");
    }
    if (!type.namespaced()
        && !type.matches("Namespace")
        && clusterKinds.stream().noneMatch(type::matches)) {
      return Optional.of("cluster-scoped, not named by --cluster-kind");
    }
    return Optional.empty();
  }

  /** Whether {@code labels} carry a label of {@code --exclude-label}. */
  boolean excludedByLabel(Map<String, String> labels) {
    if (labels == null || labels.isEmpty()) {
      return false;
    }
    for (String rule : excludeLabels) {
      int eq = rule.indexOf('=');
      if (eq < 0
          ? labels.containsKey(rule)
          : rule.substring(eq + 1).equals(labels.get(rule.substring(0, eq)))) {
        return true;
      }
    }
    return false;
  }
}
