package io.aido.backup.dapr;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One item of a Dapr state store as the store holds it, independent of the store type.
 *
 * @param key the key exactly as stored, such as {@code todo-app||cart} (bytes: Redis keys need not
 *     be UTF-8)
 * @param value the value exactly as stored: JSON text for PostgreSQL v1, bytes for v2 and Redis
 * @param etag the ETag Dapr hands to clients ({@code xmin} for PostgreSQL v1, the {@code etag} uuid
 *     for v2, the {@code version} field for Redis), or {@code null}
 * @param binary PostgreSQL v1's {@code isbinary} flag: the JSON value is a base64 string of bytes
 * @param expiresAt when the item expires (its TTL as an absolute time), or {@code null}
 * @param createdAt when the row was inserted (PostgreSQL), or {@code null}
 * @param updatedAt when the row was last updated (PostgreSQL), or {@code null}
 * @param extraFields further Redis hash fields besides {@code data} and {@code version} (Dapr
 *     writes {@code first-write} for first-write concurrency), by name; empty elsewhere
 */
public record StateEntry(
    byte[] key,
    byte[] value,
    String etag,
    boolean binary,
    Instant expiresAt,
    Instant createdAt,
    Instant updatedAt,
    Map<String, byte[]> extraFields) {

  public StateEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    extraFields =
        extraFields == null || extraFields.isEmpty()
            ? Map.of()
            : Collections.unmodifiableMap(new TreeMap<>(extraFields));
  }

  /** The key as text (UTF-8; Dapr keys are strings). */
  public String keyText() {
    return new String(key, StandardCharsets.UTF_8);
  }

  /** Whether the item had expired at {@code now}; Dapr treats such an item as absent. */
  public boolean expiredAt(Instant now) {
    return expiresAt != null && expiresAt.isBefore(now);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StateEntry e)) {
      return false;
    }
    if (!Arrays.equals(key, e.key)
        || !Arrays.equals(value, e.value)
        || !Objects.equals(etag, e.etag)
        || binary != e.binary
        || !Objects.equals(expiresAt, e.expiresAt)
        || !Objects.equals(createdAt, e.createdAt)
        || !Objects.equals(updatedAt, e.updatedAt)
        || !extraFields.keySet().equals(e.extraFields.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> f : extraFields.entrySet()) {
      if (!Arrays.equals(f.getValue(), e.extraFields.get(f.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key) * 31 + Arrays.hashCode(value);
  }

  /** Names the key and sizes only: values may be personal data and stay out of logs. */
  @Override
  public String toString() {
    return "StateEntry[" + keyText() + ", " + value.length + " bytes, etag=" + etag + "]";
  }
}
