package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
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

    Run run = Run.of(new TestJob(), Map.of(), "keyset", "generate", "--out", out.toString());

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
    Run.of(new TestJob(), Map.of(), "keyset", "generate", "--out", out.toString());
    byte[] before = Files.readAllBytes(out);

    Run run = Run.of(new TestJob(), Map.of(), "keyset", "generate", "--out", out.toString());

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("--out (BACKUP_OUT): '" + out + "' already exists; refusing to overwrite");
    assertThat(Files.readAllBytes(out)).isEqualTo(before);
  }

  @Test
  void generate_withoutOut_exitsTwo() {
    Run run = Run.of(new TestJob(), Map.of(), "keyset", "generate");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--out (BACKUP_OUT): not set");
  }

  @Test
  void keyset_withoutSubcommand_exitsTwoNamingGenerate() {
    Run run = Run.of(new TestJob(), Map.of(), "keyset");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("a command is required (one of: generate)");
  }
}
