package io.aido.backup.core.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.integration.gcpkms.GcpKmsClient;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;

/**
 * Opens and creates key-encryption keys.
 *
 * <p>A key is named by a URI:
 *
 * <ul>
 *   <li>{@code gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K}: a Cloud KMS key, used
 *       with the application default credentials (Workload Identity in GKE);
 *   <li>{@code file:///path/keyset.json} or a plain path: a cleartext Tink keyset (JSON) holding an
 *       AES256-GCM key, as {@link #generateKeysetFile(Path)} writes it. Keep it in a Kubernetes
 *       Secret.
 * </ul>
 *
 * <p>Throws {@link IOException} when the file cannot be read and {@link GeneralSecurityException}
 * when its content is not a usable keyset; neither message contains key material.
 */
public final class KeyEncryptionKeys {
  /** The scheme of Cloud KMS key URIs. */
  public static final String GCP_KMS_PREFIX = "gcp-kms://";

  static {
    try {
      AeadConfig.register();
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private KeyEncryptionKeys() {}

  /** Makes sure Tink's primitives are registered; cheap after the first call. */
  public static void init() {
    // the static initializer does the work
  }

  /**
   * Opens the key a URI names.
   *
   * @throws IOException if a keyset file is missing or unreadable
   * @throws GeneralSecurityException if the keyset is malformed or KMS refuses
   */
  public static KeyEncryptionKey open(String uri) throws IOException, GeneralSecurityException {
    if (uri.startsWith(GCP_KMS_PREFIX)) {
      Aead aead = new GcpKmsClient().withDefaultCredentials().getAead(uri);
      return new KeyEncryptionKey(uri, aead);
    }
    return openKeysetFile(keysetPath(uri));
  }

  /** The path of a {@code file:} URI or plain path. */
  public static Path keysetPath(String uri) {
    if (uri.startsWith("file:")) {
      return Path.of(URI.create(uri));
    }
    return Path.of(uri);
  }

  /** Opens a cleartext JSON keyset file. */
  public static KeyEncryptionKey openKeysetFile(Path file)
      throws IOException, GeneralSecurityException {
    String json = Files.readString(file, StandardCharsets.UTF_8);
    KeysetHandle handle;
    try {
      handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new GeneralSecurityException(
          "unable to read keyset file '" + file + "': not a Tink JSON keyset");
    }
    Aead aead = handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    return new KeyEncryptionKey("tink-keyset:" + handle.getPrimary().getId(), aead);
  }

  /**
   * Writes a new AES256-GCM keyset to {@code file}, readable by its owner only. Refuses to replace
   * an existing file: losing a key-encryption key loses every backup it wrapped.
   *
   * @throws java.nio.file.FileAlreadyExistsException if the file exists
   */
  public static KeyEncryptionKey generateKeysetFile(Path file)
      throws IOException, GeneralSecurityException {
    KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    String json = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    return openKeysetFile(file);
  }
}
