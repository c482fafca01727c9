package io.aido.backup.core.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * What a store knows about one complete object.
 *
 * @param key the object's name
 * @param size its stored size in bytes
 * @param created when the object became visible (the store's clock)
 */
public record ObjectInfo(ObjectKey key, long size, Instant created) {
  public ObjectInfo {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(created, "created");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for '" + key + "'");
    }
  }
}
