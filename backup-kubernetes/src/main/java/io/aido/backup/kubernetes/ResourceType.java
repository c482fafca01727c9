package io.aido.backup.kubernetes;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One resource type an API server serves, at one version: what the client needs to list, get and
 * apply objects of that type without a typed model class.
 *
 * @param group the API group, {@code ""} for the core group
 * @param version the version, such as {@code v1}
 * @param kind the kind, such as {@code Deployment}
 * @param plural the resource name in URLs, such as {@code deployments}
 * @param namespaced whether objects live in a namespace
 * @param verbs what the server allows on the type (list, get, create, ...)
 */
public record ResourceType(
    String group,
    String version,
    String kind,
    String plural,
    boolean namespaced,
    List<String> verbs) {

  public ResourceType {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(plural, "plural");
    verbs = verbs == null ? List.of() : List.copyOf(verbs);
  }

  /** {@code v1} for the core group, {@code apps/v1} otherwise. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** {@code core} for the core group, the group otherwise: a name that is never empty. */
  public String groupName() {
    return group.isEmpty() ? "core" : group;
  }

  /** {@code Deployment.apps}, {@code ConfigMap} for the core group: how people name a type. */
  public String qualifiedKind() {
    return group.isEmpty() ? kind : kind + "." + group;
  }

  /** Whether the server allows every one of {@code wanted} on the type. */
  public boolean allows(String... wanted) {
    for (String verb : wanted) {
      if (!verbs.contains(verb)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code name} names this type: the kind alone ({@code deployment}, any group), or the
   * kind with its group ({@code Deployment.apps}, {@code ConfigMap.core}); case-insensitive.
   */
  public boolean matches(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    String k = kind.toLowerCase(Locale.ROOT);
    return n.equals(k) || n.equals(k + "." + groupName().toLowerCase(Locale.ROOT));
  }

  /** The fabric8 context for {@code client.genericKubernetesResources(context)}. */
  public ResourceDefinitionContext context() {
    return new ResourceDefinitionContext.Builder()
        .withGroup(group)
        .withVersion(version)
        .withKind(kind)
        .withPlural(plural)
        .withNamespaced(namespaced)
        .build();
  }
}
