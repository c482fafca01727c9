package io.aido.backup.core.crypto;

import java.util.List;
import java.util.Objects;

/**
 * What {@link KeyEncryptionKeys#rotateKeysetFile} did: ids only, never key material.
 *
 * @param previousPrimary the id of the primary key before ({@code tink-keyset:<key id>})
 * @param key the rotated keyset, whose {@link KeyEncryptionKey#id()} names the new primary
 * @param keyIds every key id in the keyset now, oldest first; all of them still decrypt
 */
public record KeysetRotation(String previousPrimary, KeyEncryptionKey key, List<String> keyIds) {
  public KeysetRotation {
    Objects.requireNonNull(previousPrimary, "previousPrimary");
    Objects.requireNonNull(key, "key");
    keyIds = List.copyOf(keyIds);
  }
}
