package io.aido.backup.core.cli;

import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyset generate --out FILE}: creates a key-encryption keyset file. */
@Command(
    name = "keyset",
    mixinStandardHelpOptions = true,
    description = "Manage Tink keyset files used as key-encryption keys.",
    subcommands = {KeysetCommand.Generate.class})
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
}
