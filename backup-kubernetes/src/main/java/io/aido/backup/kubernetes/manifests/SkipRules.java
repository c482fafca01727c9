package io.aido.backup.kubernetes.manifests;

import io.aido.backup.kubernetes.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an export leaves out because the cluster recreates it: whole types (Events, Endpoints,
 * EndpointSlices, Leases, and types that cannot be listed, read and created), and single objects
 * (Pods and ReplicaSets owned by something, ControllerRevisions owned by something, Jobs owned by a
 * CronJob, Secrets a SealedSecret unseals into, the default ServiceAccount's token, the {@code
 * kube-root-ca.crt} ConfigMap every namespace gets, the RBAC defaults the API server reconciles:
 * label {@code kubernetes.io/bootstrapping=rbac-defaults}).
 */
public final class SkipRules {
  public static final String SEALED_SECRETS_KEY_LABEL =
      "sealedsecrets.bitnami.com/sealed-secrets-key";
  static final String HELM_RELEASE_TYPE = "helm.sh/release.v1";

  /**
   * The label every object of this toolkit's k8s/ manifests carries (set by their kustomizations):
   * such objects are installed from k8s/, not restored from a backup.
   */
  static final String TOOLKIT_LABEL = "app.kubernetes.io/part-of";

  static final String TOOLKIT_LABEL_VALUE = "aido-backup";
  private static final String SA_TOKEN_TYPE = "kubernetes.io/service-account-token";
  private static final String SA_NAME_ANNOTATION = "kubernetes.io/service-account.name";

  private static final List<String> SKIPPED_TYPES =
      List.of(
          "/Event",
          "events.k8s.io/Event",
          "/Endpoints",
          "discovery.k8s.io/EndpointSlice",
          "coordination.k8s.io/Lease");

  private SkipRules() {}

  /** Why a whole type is left out, or empty when it is exported. */
  public static Optional<String> skippedType(ResourceType type) {
    if (SKIPPED_TYPES.contains(type.group() + "/" + type.kind())) {
      return Optional.of("recreated by the cluster");
    }
    if (!type.allows("list", "get", "create")) {
      return Optional.of("cannot be listed, read and created");
    }
    return Optional.empty();
  }

  /** Why one object is left out (a short key for the index), or empty when it is exported. */
  public static Optional<String> skipped(GenericKubernetesResource object) {
    String group = group(object.getApiVersion());
    String kind = object.getKind();
    String key = group + "/" + kind;
    List<OwnerReference> owners =
        object.getMetadata() == null ? null : object.getMetadata().getOwnerReferences();
    boolean owned = owners != null && !owners.isEmpty();
    Map<String, String> labels =
        object.getMetadata() == null ? null : object.getMetadata().getLabels();
    if (group.equals("rbac.authorization.k8s.io")
        && labels != null
        && "rbac-defaults".equals(labels.get("kubernetes.io/bootstrapping"))) {
      return Optional.of("RBAC default of the API server");
    }
    switch (key) {
      case "/Pod":
        return owned ? Optional.of("owned Pod") : Optional.empty();
      case "apps/ReplicaSet":
        return owned ? Optional.of("owned ReplicaSet") : Optional.empty();
      case "apps/ControllerRevision":
        return owned ? Optional.of("owned ControllerRevision") : Optional.empty();
      case "batch/Job":
        return owned && owners.stream().anyMatch(o -> "CronJob".equals(o.getKind()))
            ? Optional.of("Job of a CronJob")
            : Optional.empty();
      case "/ConfigMap":
        return "kube-root-ca.crt".equals(object.getMetadata().getName())
            ? Optional.of("kube-root-ca.crt")
            : Optional.empty();
      case "/Secret":
        if (owned && owners.stream().anyMatch(o -> "SealedSecret".equals(o.getKind()))) {
          return Optional.of("Secret of a SealedSecret");
        }
        if (SA_TOKEN_TYPE.equals(object.getAdditionalProperties().get("type"))
            && "default".equals(annotations(object).get(SA_NAME_ANNOTATION))) {
          return Optional.of("default ServiceAccount token");
        }
        return Optional.empty();
      default:
        return Optional.empty();
    }
  }

  /**
   * Whether {@code object} belongs to the backup toolkit itself (label {@value #TOOLKIT_LABEL}=
   * {@value #TOOLKIT_LABEL_VALUE}): its CronJobs, ServiceAccounts, RBAC, NetworkPolicies,
   * ConfigMaps and namespace.
   */
  static boolean isToolkitObject(GenericKubernetesResource object) {
    Map<String, String> labels =
        object.getMetadata() == null ? null : object.getMetadata().getLabels();
    return labels != null && TOOLKIT_LABEL_VALUE.equals(labels.get(TOOLKIT_LABEL));
  }

  /** Whether a Secret holds one Helm release revision. */
  public static boolean isHelmRelease(GenericKubernetesResource secret) {
    return HELM_RELEASE_TYPE.equals(secret.getAdditionalProperties().get("type"));
  }

  private static Map<String, String> annotations(GenericKubernetesResource object) {
    Map<String, String> a =
        object.getMetadata() == null ? null : object.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }

  public static String group(String apiVersion) {
    if (apiVersion == null) {
      return "";
    }
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }
}
