package io.aido.backup.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.RepositoryUrl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * The options that locate a repository and its key, as a picocli mixin:
 *
 * <ul>
 *   <li>{@code --storage-url} ({@code BACKUP_STORAGE_URL}): {@code file:///abs/path} or {@code
 *       gs://bucket/prefix};
 *   <li>{@code --kek-uri} ({@code BACKUP_KEK_URI}): {@code gcp-kms://projects/.../cryptoKeys/K}, or
 *       a Tink keyset file as {@code file:///path} or a plain path.
 * </ul>
 *
 * <pre>{@code
 * @Mixin RepositoryOptions repository;                                  // store and key required
 * @Mixin RepositoryOptions repository = RepositoryOptions.keyOptional(); // e.g. catalog listing
 * ...
 * BlobStore store = repository.openStore();
 * KeyEncryptionKey kek = repository.kek();
 * }</pre>
 *
 * <p>{@link #validate} checks the URL's shape, and for a keyset file that it exists, is readable
 * and, when the command needs the key, holds a usable keyset (the key opened there is kept for
 * {@link #kek()}); a {@link #keyOptional()} command checks only the file's JSON shape and never
 * opens it, so it does not load the crypto library at all. A {@code gcp-kms} URI is checked for
 * shape only, since reaching KMS is work. No message contains key material.
 */
public final class RepositoryOptions implements ValidatedOptions {
  private static final Pattern KMS_KEY =
      Pattern.compile(
          "gcp-kms://projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+"
              + "(/cryptoKeyVersions/[^/]+)?");

  @Option(
      names = "--storage-url",
      paramLabel = "URL",
      description = "Backup repository: file:///absolute/path or gs://bucket/prefix.")
  private String storageUrl;

  @Option(
      names = "--kek-uri",
      paramLabel = "URI",
      description =
          "Key-encryption key: gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K,"
              + " or a Tink keyset file (file:///path or a path).")
  private String kekUri;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_KEYSET_BYTES = 1 << 20;

  private final boolean keyRequired;
  private RepositoryUrl parsedUrl;
  private KeyEncryptionKey openedKey;

  /** Store and key both required. */
  public RepositoryOptions() {
    this(true);
  }

  private RepositoryOptions(boolean keyRequired) {
    this.keyRequired = keyRequired;
  }

  /**
   * For commands that never decrypt (listing the catalog): a key is checked only when given, and
   * then only that its file can be read and has a keyset's shape; {@link #kek()} opens it on first
   * use.
   */
  public static RepositoryOptions keyOptional() {
    return new RepositoryOptions(false);
  }

  @Override
  public void validate(ConfigProblems problems) {
    parsedUrl = null;
    openedKey = null;
    String urlSetting = EnvironmentDefaults.describe("--storage-url");
    if (storageUrl == null || storageUrl.isBlank()) {
      problems.add(urlSetting, "not set (expected file:///path or gs://bucket/prefix)");
    } else {
      try {
        parsedUrl = RepositoryUrl.parse(storageUrl);
      } catch (IllegalArgumentException e) {
        problems.add(urlSetting, e.getMessage());
      }
    }
    String keySetting = EnvironmentDefaults.describe("--kek-uri");
    if (kekUri == null || kekUri.isBlank()) {
      if (keyRequired) {
        problems.add(
            keySetting, "not set (expected gcp-kms://... or the path of a Tink keyset file)");
      }
    } else if (kekUri.startsWith(KeyEncryptionKeys.GCP_KMS_PREFIX)) {
      if (!KMS_KEY.matcher(kekUri).matches()) {
        problems.add(
            keySetting,
            "'"
                + kekUri
                + "' is not a Cloud KMS key name"
                + " (expected gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K)");
      }
    } else {
      openKeysetFile(keySetting, problems);
    }
  }

  private void openKeysetFile(String keySetting, ConfigProblems problems) {
    Path file;
    try {
      file = KeyEncryptionKeys.keysetPath(kekUri);
    } catch (IllegalArgumentException e) {
      problems.add(keySetting, "'" + kekUri + "' is neither a gcp-kms:// URI nor a file path");
      return;
    }
    if (!Files.exists(file)) {
      problems.add(keySetting, "keyset file '" + file + "' does not exist");
    } else if (!Files.isRegularFile(file)) {
      problems.add(keySetting, "keyset file '" + file + "' is not a regular file");
    } else if (!Files.isReadable(file)) {
      problems.add(keySetting, "keyset file '" + file + "' is not readable (permission denied)");
    } else if (!keyRequired) {
      checkKeysetShape(file, keySetting, problems);
    } else {
      try {
        openedKey = KeyEncryptionKeys.openKeysetFile(file);
      } catch (IOException e) {
        problems.add(keySetting, "unable to read keyset file '" + file + "': " + Secrets.reason(e));
      } catch (GeneralSecurityException | RuntimeException e) {
        // Tink's own messages may quote the keyset; say only what the file is not
        problems.add(keySetting, "keyset file '" + file + "' is not a usable Tink JSON keyset");
      }
    }
  }

  /**
   * For a command that never uses the key: the file must still look like a cleartext Tink JSON
   * keyset (a {@code key} list whose entries carry {@code keyData}), read with Jackson so that the
   * crypto library is not loaded. A wrong file is a configuration problem for every command, not
   * only for those that decrypt.
   */
  private static void checkKeysetShape(Path file, String keySetting, ConfigProblems problems) {
    try {
      if (Files.size(file) > MAX_KEYSET_BYTES || !looksLikeKeyset(JSON.readTree(file.toFile()))) {
        problems.add(keySetting, "keyset file '" + file + "' is not a usable Tink JSON keyset");
      }
    } catch (IOException e) {
      // Jackson's parse messages quote the file's content: say only what the file is not
      problems.add(keySetting, "keyset file '" + file + "' is not a usable Tink JSON keyset");
    }
  }

  private static boolean looksLikeKeyset(JsonNode keyset) {
    if (keyset == null || !keyset.isObject()) {
      return false;
    }
    JsonNode keys = keyset.path("key");
    if (!keys.isArray() || keys.isEmpty()) {
      return false;
    }
    for (JsonNode key : keys) {
      if (!key.path("keyData").isObject()) {
        return false;
      }
    }
    return true;
  }

  /** The checked repository URL; call after a {@link #validate} that found no problem. */
  public RepositoryUrl storageUrl() {
    if (parsedUrl == null) {
      throw new IllegalStateException("--storage-url was not validated");
    }
    return parsedUrl;
  }

  /** Whether a key was configured. */
  public boolean hasKey() {
    return kekUri != null && !kekUri.isBlank();
  }

  /**
   * The key-encryption key: the keyset opened during validation, or the Cloud KMS key.
   *
   * @throws IllegalStateException if no key is configured
   * @throws GeneralSecurityException if Cloud KMS cannot be reached or refuses
   */
  public KeyEncryptionKey kek() throws IOException, GeneralSecurityException {
    if (!hasKey()) {
      throw new IllegalStateException("--kek-uri is not set");
    }
    if (openedKey == null) {
      openedKey = KeyEncryptionKeys.open(kekUri);
    }
    return openedKey;
  }

  /**
   * Opens the repository's store ({@link BlobStores#open}); no I/O happens until it is used. This
   * is the one place where a command turns its URL into a store.
   *
   * @throws IllegalStateException if {@link #validate} did not accept the URL
   */
  public BlobStore openStore() {
    return BlobStores.open(storageUrl());
  }
}
