package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.TestKeysets;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.testing.CommandRun;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewrapCommandTest {
  @TempDir Path dir;
  private Path repoDir;
  private Path keyset;
  private LocalBlobStore store;
  private Repository repo;

  @BeforeEach
  void setUp() throws Exception {
    repoDir = dir.resolve("repo");
    keyset = dir.resolve("kek.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    store = new LocalBlobStore(repoDir);
    repo = Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
  }

  private BackupRecord backup() throws Exception {
    try (BackupWriter w =
        repo.begin(
            BackupKind.MANIFESTS,
            Source.database("todo", "15.4"),
            KeyEncryptionKeys.open(keyset.toString()))) {
      w.writePart("all", new ByteArrayInputStream("apiVersion: v1".getBytes()));
      return w.commit(Map.of());
    }
  }

  private Map<String, String> env(Path kek) {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repoDir.toUri().toString());
    env.put("BACKUP_KEK_URI", kek.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    return env;
  }

  @Test
  void rewrap_afterRotate_printsEachBackupAuditsItAndReadsNoData() throws Exception {
    KeyEncryptionKey old = KeyEncryptionKeys.open(keyset.toString());
    BackupRecord r = backup();
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    KeyEncryptionKey now = KeyEncryptionKeys.open(keyset.toString());

    CommandRun run = CommandRun.of(new TestJob()::execute, env(keyset), "rewrap");

    assertThat(run.code()).as(run.all()).isEqualTo(ExitCodes.DONE);
    assertThat(run.out())
        .contains("rewrapped backup " + r.id() + " (manifests): " + old.id() + " -> " + now.id())
        .contains("rewrap: 1 rewrapped, 0 already current, 0 failed; read ")
        .contains("no backup data part was read");
    try (var events = Files.walk(repoDir.resolve("audit"))) {
      assertThat(events.map(p -> p.getFileName().toString()))
          .anyMatch(name -> name.contains("-rewrap-"));
    }
    CommandRun again = CommandRun.of(new TestJob()::execute, env(keyset), "rewrap");
    assertThat(again.out()).contains("rewrap: 0 rewrapped, 1 already current, 0 failed");
  }

  @Test
  void rewrap_dryRun_listsAndChangesNothing() throws Exception {
    BackupRecord r = backup();
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    byte[] before = store.open(Layout.record(r.kind(), r.id())).readAllBytes();

    CommandRun run = CommandRun.of(new TestJob()::execute, env(keyset), "rewrap", "--dry-run");

    assertThat(run.code()).as(run.all()).isEqualTo(ExitCodes.DONE);
    assertThat(run.out())
        .contains("would rewrap backup " + r.id())
        .contains("rewrap (dry run): 1 to rewrap");
    assertThat(store.open(Layout.record(r.kind(), r.id())).readAllBytes()).isEqualTo(before);
  }

  @Test
  void rewrap_oldKeyAlreadyRemoved_exitsOneNamingTheMissingKeyWithoutStackTrace() throws Exception {
    KeyEncryptionKey old = KeyEncryptionKeys.open(keyset.toString());
    BackupRecord r = backup();
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    CommandRun run = CommandRun.of(new TestJob()::execute, env(onlyNew), "rewrap");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.out())
        .contains(
            "FAILED backup "
                + r.id()
                + " (manifests): wrapped by key-encryption key '"
                + old.id()
                + "', which no key given opens");
    assertThat(run.err()).contains("error: 1 object(s) could not be rewrapped");
    assertThat(run.all()).doesNotContain("\tat io.aido");
  }

  @Test
  void rewrap_fromKekUri_movesToAnotherKeysetFile() throws Exception {
    BackupRecord r = backup();
    Path other = dir.resolve("other.json");
    KeyEncryptionKey target = KeyEncryptionKeys.generateKeysetFile(other);

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, env(other), "rewrap", "--from-kek-uri", keyset.toString());

    assertThat(run.code()).as(run.all()).isEqualTo(ExitCodes.DONE);
    assertThat(repo.catalog().find(r.id()).orElseThrow().encryption().kekId())
        .isEqualTo(target.id());
  }

  @Test
  void rewrap_missingFromKeyset_exitsTwo() {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            env(keyset),
            "rewrap",
            "--from-kek-uri",
            dir.resolve("gone.json").toString());

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--from-kek-uri (BACKUP_FROM_KEK_URI): keyset file");
  }

  @Test
  void rewrap_noRepository_exitsTwo() {
    Map<String, String> env = env(keyset);
    env.put("BACKUP_STORAGE_URL", dir.resolve("empty").toUri().toString());

    CommandRun run = CommandRun.of(new TestJob()::execute, env, "rewrap");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("no repository");
  }
}
