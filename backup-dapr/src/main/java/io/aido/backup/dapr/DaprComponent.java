package io.aido.backup.dapr;

import io.aido.backup.core.config.Secret;
import java.util.Map;
import java.util.Optional;

/**
 * A Dapr Component with its metadata resolved: plain values as they are, {@code secretKeyRef}
 * values read from Kubernetes Secrets as {@link Secret}s (registered for redaction the moment they
 * are read).
 *
 * @param namespace the Component's namespace
 * @param name the Component's name, which is the store name apps use
 * @param type {@code spec.type}, such as {@code state.postgresql}
 * @param version {@code spec.version}, such as {@code v1} or {@code v2}
 * @param values metadata from {@code value}
 * @param secrets metadata from {@code secretKeyRef}
 */
public record DaprComponent(
    String namespace,
    String name,
    String type,
    String version,
    Map<String, String> values,
    Map<String, Secret> secrets) {

  public DaprComponent {
    values = Map.copyOf(values);
    secrets = Map.copyOf(secrets);
  }

  /** {@code namespace/name}. */
  public String id() {
    return namespace + "/" + name;
  }

  /** A metadata value, from a Secret or not (Dapr names are case-insensitive). */
  public Optional<String> value(String key) {
    for (Map.Entry<String, Secret> e : secrets.entrySet()) {
      if (e.getKey().equalsIgnoreCase(key)) {
        return Optional.of(e.getValue().reveal());
      }
    }
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().equalsIgnoreCase(key)) {
        return Optional.ofNullable(e.getValue());
      }
    }
    return Optional.empty();
  }

  /** Names the Component and its metadata keys; no value. */
  @Override
  public String toString() {
    return "DaprComponent["
        + id()
        + " "
        + type
        + " "
        + version
        + ", keys="
        + values.keySet()
        + secrets.keySet()
        + "]";
  }
}
