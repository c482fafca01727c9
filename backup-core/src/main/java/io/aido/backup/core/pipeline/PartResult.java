package io.aido.backup.core.pipeline;

import io.aido.backup.core.storage.ObjectKey;

/**
 * What the pipeline measured while storing or reading one part.
 *
 * @param key the object
 * @param plaintextSize bytes of plaintext that went in (or came out)
 * @param plaintextSha256 hex SHA-256 of that plaintext
 * @param storedSize bytes stored (compressed and encrypted)
 * @param storedSha256 hex SHA-256 of the stored bytes (as written, or as downloaded)
 */
public record PartResult(
    ObjectKey key,
    long plaintextSize,
    String plaintextSha256,
    long storedSize,
    String storedSha256) {}
