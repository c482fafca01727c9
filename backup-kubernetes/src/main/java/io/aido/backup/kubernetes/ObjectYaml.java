package io.aido.backup.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Kubernetes objects as YAML documents that depend only on the object, never on the order in which
 * a server happened to return its fields: {@code apiVersion}, {@code kind}, {@code metadata} first,
 * then every other field, and the keys of every nested map, in sorted order. Two equal objects give
 * the same bytes, so archives can be compared byte for byte.
 *
 * <p>Every string is quoted, so values such as {@code "yes"}, {@code "0755"} or {@code "1e3"} read
 * back as the strings they were.
 *
 * <pre>{@code
 * byte[] yaml = ObjectYaml.write(object);
 * GenericKubernetesResource again = ObjectYaml.read(yaml);
 * }</pre>
 *
 * <p>{@link #read} throws {@link IOException} for text that is not one YAML object.
 */
public final class ObjectYaml {
  private static final List<String> FIRST = List.of("apiVersion", "kind", "metadata");
  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

  private ObjectYaml() {}

  /** The object as canonical YAML (UTF-8). */
  public static byte[] write(GenericKubernetesResource object) {
    return writeValue(object);
  }

  /**
   * Any JSON-shaped value (maps, lists, scalars, model objects) as canonical YAML (UTF-8); fields
   * whose value is null are left out, as the API server leaves them out.
   */
  public static byte[] writeValue(Object value) {
    return write(value, false);
  }

  /**
   * Like {@link #writeValue}, but a field whose value is null is written as {@code null}: in Helm
   * values a null means "remove this chart default", so dropping it would change the release.
   */
  public static byte[] writeValueKeepingNulls(Object value) {
    return write(value, true);
  }

  private static byte[] write(Object value, boolean keepNulls) {
    try {
      return YAML.writeValueAsBytes(canonical(YAML.valueToTree(value), true, keepNulls));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads one object.
   *
   * @throws IOException if {@code yaml} is not a YAML mapping
   */
  public static GenericKubernetesResource read(byte[] yaml) throws IOException {
    JsonNode node = YAML.readTree(yaml);
    if (node == null || !node.isObject()) {
      throw new IOException("not a YAML mapping");
    }
    return YAML.treeToValue(node, GenericKubernetesResource.class);
  }

  private static JsonNode canonical(JsonNode node, boolean top, boolean keepNulls) {
    if (node.isObject()) {
      ObjectNode sorted = JsonNodeFactory.instance.objectNode();
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      names.sort(
          (a, b) -> {
            int ia = top ? FIRST.indexOf(a) : -1;
            int ib = top ? FIRST.indexOf(b) : -1;
            if (ia >= 0 || ib >= 0) {
              return Integer.compare(ia < 0 ? FIRST.size() : ia, ib < 0 ? FIRST.size() : ib);
            }
            return a.compareTo(b);
          });
      for (String name : names) {
        JsonNode child = node.get(name);
        if (keepNulls || !child.isNull()) {
          sorted.set(name, canonical(child, false, keepNulls));
        }
      }
      return sorted;
    }
    if (node.isArray()) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      node.forEach(element -> array.add(canonical(element, false, keepNulls)));
      return array;
    }
    return node;
  }
}
