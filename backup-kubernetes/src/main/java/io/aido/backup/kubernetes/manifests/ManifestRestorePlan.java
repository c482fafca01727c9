package io.aido.backup.kubernetes.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import io.aido.backup.kubernetes.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a manifests restore does with each object of a backup's archive, decided without a server:
 * which objects are applied and in which order, which are skipped and why, and how {@code
 * --namespace-map} renames them. The archive is streamed once, so the plan takes its entries in
 * archive order ({@link #types}, then {@link #next} for each object) and answers one {@link Step}
 * each; it reads nothing and writes nothing.
 *
 * <p>Order: the archive's own order, which the export sorted by {@link ApplyOrder}; an object of a
 * lower rank after a higher one is applied where it stands, with a warning. Before the first object
 * ranked after the CRDs, the restore waits until the restored CRDs are established.
 *
 * <p>Skipped: objects outside {@code --namespace} (silently; cluster-scoped ones too when any is
 * given), the backup toolkit's own objects ({@link SkipRules#isToolkitObject}), and RBAC bindings
 * that stay the original's but name subjects of a mapped namespace (mapping them would take the
 * binding away from the original). An object whose type is not in the archive's {@code types.json}
 * fails.
 *
 * <p>Mapping: a mapped Namespace is renamed (and its {@code kubernetes.io/metadata.name} label), a
 * namespaced object moves to the new namespace, and RBAC subjects of a mapped namespace follow.
 * {@link #next} maps the object it is given, which is the restore's own parsed copy.
 */
public final class ManifestRestorePlan {
  private static final String RBAC = "rbac.authorization.k8s.io";

  /** What to do with one object. */
  enum Action {
    /** Apply {@link Step#object} as {@link Step#type}. */
    APPLY,
    /** Outside {@code --namespace}: left alone without a word. */
    LEAVE,
    /** The backup toolkit's own object, installed from k8s/. */
    SKIP_TOOLKIT,
    /** Skipped for the {@link Step#reason} given. */
    SKIP,
    /** Cannot be applied, for the {@link Step#reason} given. */
    FAIL
  }

  /**
   * One object's step.
   *
   * @param action what to do
   * @param label the object as printed ({@code Kind.group namespace/name}), after mapping when it
   *     is applied
   * @param reason why it is skipped or fails; {@code null} otherwise
   * @param type its type; {@code null} when it fails for an unknown type
   * @param object the object to apply, mapped
   * @param awaitCrdsFirst whether the restored CRDs must be established before this step
   * @param warning a line to log before this step (an object out of apply order), or {@code null}
   */
  record Step(
      Action action,
      String label,
      String reason,
      ResourceType type,
      GenericKubernetesResource object,
      boolean awaitCrdsFirst,
      String warning) {}

  private final List<String> namespaces;
  private final Map<String, String> mapping;
  private final Map<String, ResourceType> types = new HashMap<>();
  private boolean leaveNamespaceObjects;
  private int lastRank = -1;
  private boolean crdsAwaited;

  /**
   * @param namespaces the namespaces to restore (names before mapping); empty for everything
   * @param mapping {@code --namespace-map}, old name to new name
   */
  public ManifestRestorePlan(List<String> namespaces, Map<String, String> mapping) {
    this.namespaces = List.copyOf(namespaces);
    this.mapping = Map.copyOf(mapping);
  }

  /**
   * Leaves the Namespace objects alone (they are neither created nor changed): for a restore into
   * namespaces that exist already and that the restoring account may not change, such as a drill's
   * scratch namespace.
   */
  public ManifestRestorePlan leaveNamespaceObjects() {
    leaveNamespaceObjects = true;
    return this;
  }

  /** Whether an archive entry is an object to restore (the Helm tree is for people). */
  static boolean isObject(String path) {
    return path.startsWith("namespaces/") || path.startsWith("cluster/");
  }

  /** Learns the archive's types from its {@code types.json}. */
  void types(JsonNode typesJson) {
    for (JsonNode t : typesJson) {
      ResourceType type =
          new ResourceType(
              t.path("group").asText(),
              t.path("version").asText(),
              t.path("kind").asText(),
              t.path("plural").asText(),
              t.path("namespaced").asBoolean(),
              List.of("get", "list", "create", "patch"));
      types.put(type.group() + "/" + type.kind(), type);
    }
  }

  /** The step for the archive's next object. */
  Step next(GenericKubernetesResource object) {
    String label = label(object);
    ResourceType type = types.get(SkipRules.group(object.getApiVersion()) + "/" + object.getKind());
    if (type == null) {
      return new Step(
          Action.FAIL,
          label,
          "its type is not in the archive's types.json",
          null,
          object,
          false,
          null);
    }
    int rank = ApplyOrder.rank(type.group(), type.kind(), type.namespaced());
    boolean awaitCrds = rank > ApplyOrder.CRDS && !crdsAwaited;
    crdsAwaited |= awaitCrds;
    String warning =
        rank < lastRank
            ? label + " comes after objects of a later rank; applied in archive order"
            : null;
    lastRank = Math.max(lastRank, rank);
    if (!selected(type, object)) {
      return new Step(Action.LEAVE, label, null, type, object, awaitCrds, warning);
    }
    if (SkipRules.isToolkitObject(object)) {
      return new Step(
          Action.SKIP_TOOLKIT,
          label,
          "the backup toolkit's own object, installed from k8s/",
          type,
          object,
          awaitCrds,
          warning);
    }
    String moved = subjectsMovedAwayFromTheOriginal(type, object);
    if (moved != null) {
      return new Step(Action.SKIP, label, moved, type, object, awaitCrds, warning);
    }
    remap(type, object);
    return new Step(Action.APPLY, label(object), null, type, object, awaitCrds, warning);
  }

  private boolean selected(ResourceType type, GenericKubernetesResource object) {
    if (leaveNamespaceObjects && isNamespace(type)) {
      return false;
    }
    if (namespaces.isEmpty()) {
      return true;
    }
    if (isNamespace(type)) {
      return namespaces.contains(object.getMetadata().getName());
    }
    return type.namespaced() && namespaces.contains(object.getMetadata().getNamespace());
  }

  /**
   * Why {@code object} must not be applied under the mapping: it keeps its name and namespace (it
   * is cluster-scoped, or its namespace is not mapped), so it is the original's own object, yet its
   * subjects name a mapped namespace; mapping them would rewrite the original's binding and take it
   * away from the original's service accounts. Null when it may be applied.
   */
  private String subjectsMovedAwayFromTheOriginal(
      ResourceType type, GenericKubernetesResource object) {
    if (mapping.isEmpty()
        || !type.group().equals(RBAC)
        || (type.namespaced() && mapping.containsKey(object.getMetadata().getNamespace()))
        || !(object.getAdditionalProperties().get("subjects") instanceof List<?> subjects)) {
      return null;
    }
    for (Object s : subjects) {
      if (s instanceof Map<?, ?> subject
          && subject.get("namespace") instanceof String ns
          && mapping.containsKey(ns)) {
        return "it stays the original's own object but names subjects of namespace '"
            + ns
            + "', which --namespace-map moves; mapping them would take the binding away from the"
            + " original (bind the new namespace's subjects by hand if they need it)";
      }
    }
    return null;
  }

  private void remap(ResourceType type, GenericKubernetesResource object) {
    if (mapping.isEmpty()) {
      return;
    }
    if (isNamespace(type)) {
      String to = mapping.get(object.getMetadata().getName());
      if (to != null) {
        object.getMetadata().setName(to);
        Map<String, String> labels = object.getMetadata().getLabels();
        if (labels != null && labels.containsKey("kubernetes.io/metadata.name")) {
          labels.put("kubernetes.io/metadata.name", to);
        }
      }
      return;
    }
    if (type.namespaced()) {
      String to = mapping.get(object.getMetadata().getNamespace());
      if (to != null) {
        object.getMetadata().setNamespace(to);
      }
    }
    if (type.group().equals(RBAC)
        && object.getAdditionalProperties().get("subjects") instanceof List<?> subjects) {
      for (Object s : subjects) {
        if (s instanceof Map<?, ?> subject && subject.get("namespace") instanceof String ns) {
          Optional.ofNullable(mapping.get(ns))
              .ifPresent(to -> castMap(subject).put("namespace", to));
        }
      }
    }
  }

  private static boolean isNamespace(ResourceType type) {
    return type.group().isEmpty() && type.kind().equals("Namespace");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  /** How an object is printed: {@code Kind.group namespace/name}, or {@code Kind name}. */
  static String label(GenericKubernetesResource o) {
    String group = SkipRules.group(o.getApiVersion());
    String kind = group.isEmpty() ? o.getKind() : o.getKind() + "." + group;
    String ns = o.getMetadata().getNamespace();
    return kind + " " + (ns == null ? "" : ns + "/") + o.getMetadata().getName();
  }
}
