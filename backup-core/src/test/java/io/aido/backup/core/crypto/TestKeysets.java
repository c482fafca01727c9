package io.aido.backup.core.crypto;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Keyset file surgery for key-rotation tests; public in the test-jar for the jobs' tests. */
public final class TestKeysets {
  private TestKeysets() {}

  /**
   * Writes to {@code target} the keyset of {@code source} with only its primary key: what an
   * operator keeps after destroying the old keys.
   */
  public static void keepOnlyPrimary(Path source, Path target) throws Exception {
    KeysetHandle handle =
        TinkJsonProtoKeysetFormat.parseKeyset(
            Files.readString(source, StandardCharsets.UTF_8), InsecureSecretKeyAccess.get());
    KeysetHandle.Builder builder = KeysetHandle.newBuilder(handle);
    for (int i = handle.size() - 1; i >= 0; i--) {
      if (!handle.getAt(i).isPrimary()) {
        builder.deleteAt(i);
      }
    }
    Files.writeString(
        target,
        TinkJsonProtoKeysetFormat.serializeKeyset(builder.build(), InsecureSecretKeyAccess.get()),
        StandardCharsets.UTF_8);
  }
}
