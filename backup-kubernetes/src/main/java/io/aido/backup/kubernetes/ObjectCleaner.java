package io.aido.backup.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Removes from a Kubernetes object what the cluster it was read from filled in, so that the object
 * re-applies cleanly in another cluster (or in the same one after a loss).
 *
 * <h2>Guarantees</h2>
 *
 * <p>For every object: {@code status}; {@code metadata.uid}, {@code resourceVersion}, {@code
 * generation}, {@code creationTimestamp}, {@code managedFields}, {@code selfLink}, {@code
 * deletionTimestamp}, {@code deletionGracePeriodSeconds}; the {@code
 * kubectl.kubernetes.io/last-applied-configuration} annotation; and {@code ownerReferences} (they
 * name owners by uid, and an owner uid that does not exist in the target cluster makes the garbage
 * collector delete the restored object). An annotation map left empty is removed.
 *
 * <p>By kind (core and batch groups only, whatever the version):
 *
 * <ul>
 *   <li>Service: {@code spec.clusterIP} and {@code spec.clusterIPs} unless headless ({@code None});
 *       each port's {@code nodePort} and {@code spec.healthCheckNodePort} unless the user asked for
 *       that number, which is known from the last-applied annotation or from a {@code
 *       managedFields} entry owning the field (both read before they are removed). Allocated node
 *       ports would collide in the target cluster; chosen ones are part of the configuration.
 *   <li>PersistentVolumeClaim: {@code spec.volumeName} and the binding annotations {@code
 *       pv.kubernetes.io/bind-completed}, {@code pv.kubernetes.io/bound-by-controller}, so the
 *       claim is provisioned afresh instead of waiting for a volume that does not exist.
 *   <li>Job: {@code spec.selector} and the {@code controller-uid} labels of the pod template, which
 *       the API server generates and refuses to be given (unless {@code spec.manualSelector}).
 *   <li>Pod: {@code spec.nodeName}, a node of the old cluster.
 * </ul>
 *
 * <h2>Restrictions</h2>
 *
 * <p>The object is changed in place (objects are streamed one at a time, a copy would only cost).
 * Values nested under {@link GenericKubernetesResource#getAdditionalProperties()} must be mutable
 * maps and lists, as the fabric8 client's deserialization produces. Cleaning is idempotent: a
 * cleaned object cleans to itself.
 *
 * <h2>Example</h2>
 *
 * <pre>{@code
 * client.genericKubernetesResources(context).inNamespace("todo").list().getItems().stream()
 *     .map(ObjectCleaner::clean)
 *     .forEach(archive::write);
 * }</pre>
 *
 * <p>Throws {@link ClassCastException} only when a field of a well-known kind has a type its API
 * does not allow (say a string where {@code spec} should be an object).
 */
public final class ObjectCleaner {

  /** The annotation {@code kubectl apply} keeps the whole previous object in. */
  public static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  private static final List<String> PVC_BINDING_ANNOTATIONS =
      List.of("pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller");
  private static final List<String> JOB_UID_LABELS =
      List.of("controller-uid", "batch.kubernetes.io/controller-uid");
  private static final String HEADLESS = "None";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ObjectCleaner() {}

  /**
   * Cleans {@code object} in place as described on the class and returns it.
   *
   * @throws NullPointerException if {@code object} is null
   */
  public static GenericKubernetesResource clean(GenericKubernetesResource object) {
    Objects.requireNonNull(object, "object");
    Map<String, Object> body = object.getAdditionalProperties();
    ObjectMeta meta = object.getMetadata();
    String group = group(object.getApiVersion());
    String kind = object.getKind();
    if (group.isEmpty() && "Service".equals(kind)) {
      cleanService(body, meta);
    } else if (group.isEmpty() && "PersistentVolumeClaim".equals(kind)) {
      removePath(body, "spec", "volumeName");
      if (meta != null && meta.getAnnotations() != null) {
        PVC_BINDING_ANNOTATIONS.forEach(meta.getAnnotations()::remove);
      }
    } else if (group.equals("batch") && "Job".equals(kind)) {
      cleanJob(body);
    } else if (group.isEmpty() && "Pod".equals(kind)) {
      removePath(body, "spec", "nodeName");
    }
    body.remove("status");
    if (meta != null) {
      cleanMetadata(meta);
    }
    return object;
  }

  private static void cleanMetadata(ObjectMeta meta) {
    meta.setUid(null);
    meta.setResourceVersion(null);
    meta.setGeneration(null);
    meta.setCreationTimestamp(null);
    meta.setManagedFields(null);
    meta.setSelfLink(null);
    meta.setDeletionTimestamp(null);
    meta.setDeletionGracePeriodSeconds(null);
    meta.setOwnerReferences(null);
    Map<String, String> annotations = meta.getAnnotations();
    if (annotations != null) {
      annotations.remove(LAST_APPLIED);
      if (annotations.isEmpty()) {
        meta.setAnnotations(null);
      }
    }
  }

  private static void cleanService(Map<String, Object> body, ObjectMeta meta) {
    Map<String, Object> spec = child(body, "spec");
    if (spec == null) {
      return;
    }
    if (!HEADLESS.equals(spec.get("clusterIP"))) {
      spec.remove("clusterIP");
      spec.remove("clusterIPs");
    }
    ChosenPorts chosen = ChosenPorts.of(meta);
    if (spec.get("ports") instanceof List<?> ports) {
      for (Object entry : ports) {
        if (entry instanceof Map<?, ?> port && !chosen.nodePort(port)) {
          port.remove("nodePort");
        }
      }
    }
    if (!chosen.healthCheckNodePort) {
      spec.remove("healthCheckNodePort");
    }
  }

  private static void cleanJob(Map<String, Object> body) {
    Map<String, Object> spec = child(body, "spec");
    if (spec == null || Boolean.TRUE.equals(spec.get("manualSelector"))) {
      return;
    }
    spec.remove("selector");
    Map<String, Object> labels = child(child(child(spec, "template"), "metadata"), "labels");
    if (labels != null) {
      JOB_UID_LABELS.forEach(labels::remove);
    }
  }

  /** The API group of an {@code apiVersion}: "" for the core group ({@code v1}). */
  static String group(String apiVersion) {
    if (apiVersion == null) {
      return "";
    }
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> map, String key) {
    if (map == null) {
      return null;
    }
    Object value = map.get(key);
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : null;
  }

  private static void removePath(Map<String, Object> body, String parent, String key) {
    Map<String, Object> map = child(body, parent);
    if (map != null) {
      map.remove(key);
    }
  }

  /**
   * The node ports a user asked for, by (port, protocol), read from the last-applied annotation and
   * the managed fields.
   */
  private record ChosenPorts(Set<String> nodePorts, boolean healthCheckNodePort) {

    static ChosenPorts of(ObjectMeta meta) {
      Set<String> ports = new HashSet<>();
      boolean[] healthCheck = {false};
      if (meta == null) {
        return new ChosenPorts(ports, false);
      }
      if (meta.getAnnotations() != null && meta.getAnnotations().get(LAST_APPLIED) != null) {
        fromLastApplied(meta.getAnnotations().get(LAST_APPLIED), ports, healthCheck);
      }
      if (meta.getManagedFields() != null) {
        for (ManagedFieldsEntry entry : meta.getManagedFields()) {
          if (entry.getFieldsV1() != null) {
            fromFieldsV1(entry.getFieldsV1().getAdditionalProperties(), ports, healthCheck);
          }
        }
      }
      return new ChosenPorts(ports, healthCheck[0]);
    }

    boolean nodePort(Map<?, ?> port) {
      return nodePorts.contains(key(port.get("port"), port.get("protocol")));
    }

    private static String key(Object port, Object protocol) {
      String number =
          port instanceof Number n ? Long.toString(n.longValue()) : String.valueOf(port);
      return number + "/" + (protocol == null ? "TCP" : protocol.toString());
    }

    private static void fromLastApplied(String json, Set<String> ports, boolean[] healthCheck) {
      JsonNode spec;
      try {
        spec = JSON.readTree(json).path("spec");
      } catch (JsonProcessingException e) {
        return; // not JSON: nothing can be learnt from it, the ports count as allocated
      }
      healthCheck[0] |= spec.hasNonNull("healthCheckNodePort");
      for (JsonNode port : spec.path("ports")) {
        if (port.hasNonNull("nodePort")) {
          ports.add(
              key(
                  port.path("port").asLong(),
                  port.hasNonNull("protocol") ? port.get("protocol").asText() : null));
        }
      }
    }

    private static void fromFieldsV1(
        Map<String, Object> fields, Set<String> ports, boolean[] healthCheck) {
      if (!(fields.get("f:spec") instanceof Map<?, ?> spec)) {
        return;
      }
      healthCheck[0] |= spec.containsKey("f:healthCheckNodePort");
      if (!(spec.get("f:ports") instanceof Map<?, ?> entries)) {
        return;
      }
      for (Map.Entry<?, ?> entry : entries.entrySet()) {
        String name = String.valueOf(entry.getKey());
        if (name.startsWith("k:")
            && entry.getValue() instanceof Map<?, ?> owned
            && owned.containsKey("f:nodePort")) {
          try {
            JsonNode k = JSON.readTree(name.substring(2));
            ports.add(
                key(
                    k.path("port").asLong(),
                    k.hasNonNull("protocol") ? k.get("protocol").asText() : null));
          } catch (JsonProcessingException e) {
            // a key the API server did not write: ignore it, the port counts as allocated
          }
        }
      }
    }
  }
}
