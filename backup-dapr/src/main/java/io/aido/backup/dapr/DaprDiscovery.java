package io.aido.backup.dapr;

import io.aido.backup.core.config.Secret;
import io.aido.backup.kubernetes.ObjectCleaner;
import io.aido.backup.kubernetes.manifests.ApiErrors;
import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the Dapr resources of namespaces through the Kubernetes API and resolves state-store
 * Components' metadata.
 *
 * <p>Which version of each kind: the API discovery of group {@code dapr.io} ({@code /apis/dapr.io}
 * and {@code /apis/dapr.io/<version>}, readable by every authenticated user) says which versions
 * the cluster serves; each kind is read at the group's preferred version if that version serves it,
 * else at the first other served version that does (Dapr serves Subscription at {@code v2alpha1}
 * and {@code v1alpha1}). No CustomResourceDefinition is read, so no cluster-wide permission is
 * needed.
 *
 * <p>Secrets: a metadata item with {@code secretKeyRef} is read from the Kubernetes Secret it names
 * in the Component's namespace ({@code key} defaults to the Secret's name, as in Dapr); the value
 * becomes a {@link Secret} at once. Each Secret is read with one get by name, never listed, so the
 * job needs no more than {@code get} on exactly those names (a Role with {@code resourceNames} in
 * the app's namespace). A read that RBAC forbids fails with a message naming the Secret and its
 * namespace. A Component whose {@code auth.secretStore} is another secret store (Vault, a cloud key
 * vault) cannot be resolved here and is reported unsupported.
 */
final class DaprDiscovery {
  static final String GROUP = "dapr.io";

  /** The kinds exported, in the order they are written. */
  static final List<String> KINDS =
      List.of("Component", "Configuration", "Subscription", "Resiliency", "HTTPEndpoint");

  private final KubernetesClient client;

  DaprDiscovery(KubernetesClient client) {
    this.client = client;
  }

  /**
   * Every exported kind the cluster serves, with its version and plural.
   *
   * @throws IOException if the cluster serves no {@code dapr.io} group, or discovery fails
   */
  Map<String, ResourceDefinitionContext> servedKinds() throws IOException {
    APIGroup group;
    try {
      group = client.getApiGroup(GROUP);
    } catch (KubernetesClientException e) {
      throw new IOException(
          "unable to discover API group dapr.io at "
              + client.getMasterUrl()
              + ": "
              + ApiErrors.reason(e, false),
          e);
    }
    if (group == null || group.getVersions() == null || group.getVersions().isEmpty()) {
      throw new IOException(
          "the cluster at "
              + client.getMasterUrl()
              + " serves no dapr.io API (is Dapr installed?)");
    }
    List<String> versions = new ArrayList<>();
    if (group.getPreferredVersion() != null) {
      versions.add(group.getPreferredVersion().getVersion());
    }
    for (GroupVersionForDiscovery v : group.getVersions()) {
      if (!versions.contains(v.getVersion())) {
        versions.add(v.getVersion());
      }
    }
    Map<String, ResourceDefinitionContext> kinds = new LinkedHashMap<>();
    for (String version : versions) {
      APIResourceList list;
      try {
        list = client.getApiResources(GROUP + "/" + version);
      } catch (KubernetesClientException e) {
        throw new IOException(
            "unable to discover resources of dapr.io/" + version + ": " + e.getMessage(), e);
      }
      if (list == null || list.getResources() == null) {
        continue;
      }
      for (APIResource r : list.getResources()) {
        if (KINDS.contains(r.getKind()) && !r.getName().contains("/")) {
          kinds.putIfAbsent(
              r.getKind(),
              new ResourceDefinitionContext.Builder()
                  .withGroup(GROUP)
                  .withVersion(version)
                  .withKind(r.getKind())
                  .withPlural(r.getName())
                  .withNamespaced(Boolean.TRUE.equals(r.getNamespaced()))
                  .build());
        }
      }
    }
    Map<String, ResourceDefinitionContext> ordered = new LinkedHashMap<>();
    KINDS.stream().filter(kinds::containsKey).forEach(k -> ordered.put(k, kinds.get(k)));
    return ordered;
  }

  /**
   * The resources of {@code kind} in {@code namespace}, sorted by name, as the API returns them.
   */
  List<GenericKubernetesResource> list(ResourceDefinitionContext kind, String namespace)
      throws IOException {
    try {
      List<GenericKubernetesResource> items =
          new ArrayList<>(
              client.genericKubernetesResources(kind).inNamespace(namespace).list().getItems());
      items.sort(Comparator.comparing(r -> r.getMetadata().getName()));
      for (GenericKubernetesResource r : items) {
        // a list's items carry no kind and apiVersion; an exported object needs both
        r.setApiVersion(GROUP + "/" + kind.getVersion());
        r.setKind(kind.getKind());
      }
      return items;
    } catch (KubernetesClientException e) {
      throw new IOException(
          "unable to list "
              + kind.getPlural()
              + "."
              + GROUP
              + " in namespace "
              + namespace
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** A cleaned copy of {@code r}, ready to re-apply in another cluster. */
  static GenericKubernetesResource cleaned(GenericKubernetesResource r) {
    GenericKubernetesResource copy = io.fabric8.kubernetes.client.utils.Serialization.clone(r);
    return ObjectCleaner.clean(copy);
  }

  /**
   * A state store, or why it cannot be resolved.
   *
   * @param component the resolved Component, if resolved
   * @param unsupported why not, if not
   */
  record Resolution(DaprComponent component, String unsupported) {}

  /**
   * Resolves {@code component}'s metadata, reading the Secrets it references.
   *
   * @throws IOException if a referenced Secret or key is missing or unreadable; the message names
   *     the Secret and key, never a value
   */
  Resolution resolve(GenericKubernetesResource component) throws IOException {
    String namespace = component.getMetadata().getNamespace();
    String name = component.getMetadata().getName();
    Map<String, Object> spec = map(component.getAdditionalProperties().get("spec"));
    Map<String, Object> auth = map(component.getAdditionalProperties().get("auth"));
    String type = spec.get("type") == null ? null : spec.get("type").toString();
    String version = spec.get("version") == null ? null : spec.get("version").toString();
    Object secretStore = auth.get("secretStore");
    Map<String, String> values = new HashMap<>();
    Map<String, Secret> secrets = new HashMap<>();
    Map<String, io.fabric8.kubernetes.api.model.Secret> read = new HashMap<>();
    Object metadata = spec.get("metadata");
    if (metadata instanceof List<?> items) {
      for (Object o : items) {
        Map<String, Object> item = map(o);
        Object key = item.get("name");
        if (key == null) {
          continue;
        }
        Map<String, Object> ref = map(item.get("secretKeyRef"));
        if (!ref.isEmpty() && ref.get("name") != null) {
          if (secretStore != null && !"kubernetes".equals(secretStore)) {
            return new Resolution(
                null,
                "its metadata '"
                    + key
                    + "' comes from secret store '"
                    + secretStore
                    + "'; only Kubernetes Secrets can be read");
          }
          String secretName = ref.get("name").toString();
          String secretKey = ref.get("key") == null ? secretName : ref.get("key").toString();
          secrets.put(
              key.toString(),
              secretValue(namespace, name, key.toString(), secretName, secretKey, read));
        } else if (item.get("value") != null) {
          values.put(key.toString(), item.get("value").toString());
        }
      }
    }
    return new Resolution(new DaprComponent(namespace, name, type, version, values, secrets), null);
  }

  private Secret secretValue(
      String namespace,
      String component,
      String metadataKey,
      String secretName,
      String secretKey,
      Map<String, io.fabric8.kubernetes.api.model.Secret> read)
      throws IOException {
    String where =
        "metadata '"
            + metadataKey
            + "' of Component "
            + namespace
            + "/"
            + component
            + ": Secret "
            + namespace
            + "/"
            + secretName;
    io.fabric8.kubernetes.api.model.Secret secret = read.get(secretName);
    if (secret == null) {
      try {
        // one get by name, never a list: the job's RBAC names each Secret it may read
        secret = client.secrets().inNamespace(namespace).withName(secretName).get();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 403) {
          throw new IOException(
              "unable to read "
                  + where
                  + ": forbidden: this identity may not get Secret '"
                  + secretName
                  + "' in namespace "
                  + namespace
                  + " (in the cluster: list it in the resourceNames of Role"
                  + " aido-backup-dapr-snapshot-secrets in namespace "
                  + namespace
                  + ")"
                  + apiServerReason(e),
              e);
        }
        throw new IOException("unable to read " + where + ": " + e.getMessage(), e);
      }
      if (secret == null) {
        throw new IOException("unable to resolve " + where + ": no such Secret");
      }
      read.put(secretName, secret);
    }
    String value = null;
    if (secret.getData() != null && secret.getData().get(secretKey) != null) {
      value =
          new String(
              Base64.getDecoder().decode(secret.getData().get(secretKey)), StandardCharsets.UTF_8);
    } else if (secret.getStringData() != null && secret.getStringData().get(secretKey) != null) {
      value = secret.getStringData().get(secretKey);
    }
    if (value == null || value.isEmpty()) {
      throw new IOException("unable to resolve " + where + ": it has no key '" + secretKey + "'");
    }
    return Secret.of(value);
  }

  /** The API server's own reason (it names the user, the verb and the Secret, never a value). */
  private static String apiServerReason(KubernetesClientException e) {
    return e.getStatus() == null || e.getStatus().getMessage() == null
        ? ""
        : "; the API server says: " + e.getStatus().getMessage();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
