package io.aido.backup.core.cli.internal;

import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobCommand;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.KeysetRotation;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.RepositoryUrl;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyset generate --out FILE} creates a key-encryption keyset file; {@code keyset rotate
 * --kek-uri FILE} gives one a new primary key.
 */
@Command(
    name = "keyset",
    mixinStandardHelpOptions = true,
    description = "Manage Tink keyset files used as key-encryption keys.",
    subcommands = {KeysetCommand.Generate.class, KeysetCommand.Rotate.class})
public final class KeysetCommand {

  /**
   * Writes a new AES256-GCM keyset, readable by its owner only, and refuses to replace an existing
   * file: losing a key-encryption key loses every backup it wrapped.
   */
  @Command(
      name = "generate",
      description = {
        "Write a new key-encryption keyset (Tink JSON, AES256-GCM) to FILE, readable by its owner"
            + " only. Refuses to overwrite an existing file.",
        "Store it as a Kubernetes Secret and keep a copy outside the cluster: without it, no"
            + " backup it wrapped can be restored."
      })
  public static final class Generate extends JobCommand {
    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the keyset.")
    private Path out;

    @Override
    protected void validate(ConfigProblems problems) {
      String setting = EnvironmentDefaults.describe("--out");
      if (out == null) {
        problems.add(setting, "not set (the file to write the keyset to)");
      } else if (Files.exists(out)) {
        problems.add(
            setting, "'" + out + "' already exists; refusing to overwrite a key-encryption key");
      }
    }

    @Override
    protected int run() throws Exception {
      KeyEncryptionKey key;
      try {
        key = KeyEncryptionKeys.generateKeysetFile(out);
      } catch (FileAlreadyExistsException e) {
        throw new FileAlreadyExistsException(
            out.toString(), null, "appeared while writing; refusing to overwrite it");
      }
      out().println("wrote keyset " + key.id() + " to " + out.toAbsolutePath());
      return ExitCodes.DONE;
    }

    @Override
    protected boolean pushesMetrics() {
      return false;
    }
  }

  /**
   * Adds a new primary key to a keyset file, keeping the old keys for decryption ({@link
   * KeyEncryptionKeys#rotateKeysetFile}); prints key ids, never key material. When a repository is
   * given ({@code --storage-url}), the rotation is recorded in its audit log.
   */
  @Command(
      name = "rotate",
      description = {
        "Add a new AES256-GCM key to the keyset file --kek-uri names and make it the primary:"
            + " new backups use it, the old keys stay in the file so that what they wrapped still"
            + " restores. The file is replaced atomically and keeps its mode.",
        "Then run rewrap, verify, and only then remove old keys. Prints the key ids."
      })
  public static final class Rotate extends JobCommand {
    @Option(
        names = "--kek-uri",
        paramLabel = "FILE",
        description = "The keyset file (file:///path or a path); a gcp-kms:// key rotates in KMS.")
    private String kekUri;

    @Option(
        names = "--storage-url",
        paramLabel = "URL",
        description = "A repository whose audit log records the rotation (optional).")
    private String storageUrl;

    private Path file;

    @Override
    protected void validate(ConfigProblems problems) {
      String setting = EnvironmentDefaults.describe("--kek-uri");
      if (kekUri == null || kekUri.isBlank()) {
        problems.add(setting, "not set (the keyset file to rotate)");
        return;
      }
      if (kekUri.startsWith(KeyEncryptionKeys.GCP_KMS_PREFIX)) {
        problems.add(
            setting,
            "'"
                + kekUri
                + "' is a Cloud KMS key: rotate it in KMS (gcloud kms keys versions create, or"
                + " gcloud kms keys update --rotation-period), then run rewrap");
        return;
      }
      try {
        file = KeyEncryptionKeys.keysetPath(kekUri);
      } catch (IllegalArgumentException e) {
        problems.add(setting, e.getMessage());
        return;
      }
      if (!Files.isRegularFile(file)) {
        problems.add(setting, "keyset file '" + file + "' does not exist");
      } else if (!Files.isWritable(file.toAbsolutePath().getParent())) {
        problems.add(
            setting,
            "the directory of keyset file '"
                + file
                + "' is not writable (a mounted Secret is read-only: rotate a copy, then update"
                + " the Secret)");
      }
      if (storageUrl != null && !storageUrl.isBlank()) {
        try {
          RepositoryUrl.parse(storageUrl);
        } catch (IllegalArgumentException e) {
          problems.add(EnvironmentDefaults.describe("--storage-url"), e.getMessage());
        }
      }
    }

    @Override
    protected int run() throws Exception {
      KeysetRotation rotation = KeyEncryptionKeys.rotateKeysetFile(file);
      out()
          .println(
              "rotated keyset "
                  + file.toAbsolutePath()
                  + ": primary "
                  + rotation.previousPrimary()
                  + " -> "
                  + rotation.key().id()
                  + "; keys "
                  + String.join(", ", rotation.keyIds()));
      out()
          .println(
              "next: update the Secret that holds it, then run rewrap so that no backup needs the"
                  + " old key");
      if (storageUrl != null && !storageUrl.isBlank()) {
        BlobStore store = BlobStores.open(RepositoryUrl.parse(storageUrl));
        Map<String, String> details = new LinkedHashMap<>();
        details.put("keyset", file.toAbsolutePath().toString());
        details.put("from", rotation.previousPrimary());
        details.put("to", rotation.key().id());
        audit(store).record(AuditAction.ROTATE, null, null, details);
      }
      return ExitCodes.DONE;
    }

    @Override
    protected boolean pushesMetrics() {
      return false;
    }
  }
}
