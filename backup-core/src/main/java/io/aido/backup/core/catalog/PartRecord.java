package io.aido.backup.core.catalog;

import java.util.Objects;

/**
 * One stored part of a backup.
 *
 * @param name the part's name within the backup, such as {@code todo.dump}
 * @param object the object's full key in the repository
 * @param storedSize bytes stored (compressed and encrypted)
 * @param plaintextSize bytes before compression
 * @param plaintextSha256 hex SHA-256 of the plaintext
 * @param compression {@code zstd} (or {@code none})
 */
public record PartRecord(
    String name,
    String object,
    long storedSize,
    long plaintextSize,
    String plaintextSha256,
    String compression) {
  public PartRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(plaintextSha256, "plaintextSha256");
    Objects.requireNonNull(compression, "compression");
  }
}
