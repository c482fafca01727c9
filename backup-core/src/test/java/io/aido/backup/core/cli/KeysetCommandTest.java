package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.testing.CommandRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysetCommandTest {
  @TempDir Path dir;

  @Test
  void generate_newFile_writesUsableOwnerOnlyKeyset() throws Exception {
    Path out = dir.resolve("keys/kek.json");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of(), "keyset", "generate", "--out", out.toString());

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    KeyEncryptionKey key = KeyEncryptionKeys.open(out.toUri().toString());
    assertThat(run.out()).contains("wrote keyset " + key.id() + " to " + out);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
        .isEqualTo("rw-------");
    String keyset = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(run.all()).doesNotContain(keyset.substring(keyset.indexOf("\"value\"")));
  }

  @Test
  void generate_existingFile_refusesAndKeepsIt() throws Exception {
    Path out = dir.resolve("kek.json");
    CommandRun.of(new TestJob()::execute, Map.of(), "keyset", "generate", "--out", out.toString());
    byte[] before = Files.readAllBytes(out);

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of(), "keyset", "generate", "--out", out.toString());

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("--out (BACKUP_OUT): '" + out + "' already exists; refusing to overwrite");
    assertThat(Files.readAllBytes(out)).isEqualTo(before);
  }

  @Test
  void generate_withoutOut_exitsTwo() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "keyset", "generate");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--out (BACKUP_OUT): not set");
  }

  @Test
  void keyset_withoutSubcommand_exitsTwoNamingItsCommands() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "keyset");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("a command is required (one of: generate, rotate)");
  }

  @Test
  void rotate_keysetFile_newPrimaryOldKeysKeptModeKeptIdsPrinted() throws Exception {
    Path file = dir.resolve("kek.json");
    KeyEncryptionKey before = KeyEncryptionKeys.generateKeysetFile(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    WrappedDataKey wrappedBefore = DataKey.generate().wrap(before, "backup:dapr/x");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of(), "keyset", "rotate", "--kek-uri", file.toString());

    assertThat(run.code()).as(run.all()).isEqualTo(ExitCodes.DONE);
    KeyEncryptionKey after = KeyEncryptionKeys.open(file.toString());
    assertThat(after.id()).isNotEqualTo(before.id());
    assertThat(run.out())
        .contains("primary " + before.id() + " -> " + after.id())
        .contains("keys " + before.id() + ", " + after.id());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r-----");
    assertThat(DataKey.unwrap(wrappedBefore, after, "backup:dapr/x")).isNotNull();
    assertThat(DataKey.generate().wrap(after).kekId()).isEqualTo(after.id());
    String keyset = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(run.all()).doesNotContain(keyset.substring(keyset.indexOf("\"value\"")));
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactlyInAnyOrder(file, dir.resolve(".kek.json.lock"));
    }
  }

  @Test
  void rotate_withRepository_recordsAnAuditEvent() throws Exception {
    Path file = dir.resolve("kek.json");
    KeyEncryptionKeys.generateKeysetFile(file);
    Path repo = dir.resolve("repo");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", repo.toUri().toString()),
            "keyset",
            "rotate",
            "--kek-uri",
            file.toString());

    assertThat(run.code()).as(run.all()).isEqualTo(ExitCodes.DONE);
    try (var events = Files.walk(repo.resolve("audit"))) {
      assertThat(events.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .singleElement()
          .asString()
          .contains("-rotate-");
    }
  }

  @Test
  void rotate_missingFile_exitsTwoAndWritesNothing() {
    Path file = dir.resolve("missing.json");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of(), "keyset", "rotate", "--kek-uri", file.toString());

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("keyset file '" + file + "' does not exist");
    assertThat(Files.exists(file)).isFalse();
  }

  @Test
  void rotate_kmsKey_exitsTwoSayingToRotateInKms() {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of(),
            "keyset",
            "rotate",
            "--kek-uri",
            "gcp-kms://projects/p/locations/global/keyRings/r/cryptoKeys/k");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("rotate it in KMS");
  }

  @Test
  void rotate_notAKeyset_exitsOneNamingTheFileAndKeepsIt() throws Exception {
    Path file = dir.resolve("kek.json");
    Files.writeString(file, "{\"not\": \"a keyset\"}");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, Map.of(), "keyset", "rotate", "--kek-uri", file.toString());

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err()).contains("'" + file + "': not a cleartext Tink JSON keyset");
    assertThat(Files.readString(file)).isEqualTo("{\"not\": \"a keyset\"}");
  }
}
