package io.aido.backup.core.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * @param storedSha256 hex SHA-256 of the stored bytes (as they are in the repository), computed on
 *     the write path; null in records written before it was added, which stay readable and are
 *     written back without the field
 */
public record PartRecord(
    String name,
    String object,
    long storedSize,
    long plaintextSize,
    String plaintextSha256,
    String compression,
    @JsonInclude(JsonInclude.Include.NON_NULL) String storedSha256) {
  public PartRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(plaintextSha256, "plaintextSha256");
    Objects.requireNonNull(compression, "compression");
  }

  /** A part without the stored bytes' SHA-256, as records written before it was added. */
  public PartRecord(
      String name,
      String object,
      long storedSize,
      long plaintextSize,
      String plaintextSha256,
      String compression) {
    this(name, object, storedSize, plaintextSize, plaintextSha256, compression, null);
  }
}
