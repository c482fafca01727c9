package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.TestKeysets;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key rotation end to end with a real PostgreSQL, pg_dump and pg_restore: rotate the keyset, back
 * up, rewrap, destroy the old key, and every backup still restores to an identical database;
 * without the rewrap, the old backup names the key it needs.
 */
class KeyRotationIT {
  private static PgCluster pg;

  @TempDir Path dir;
  private Path repo;
  private Path keyset;

  @BeforeAll
  static void startCluster() throws IOException {
    pg = PgCluster.builder().start();
    pg.psql("postgres", "CREATE ROLE todo_owner NOLOGIN");
    pg.createDatabase("todo");
    try (InputStream sql = KeyRotationIT.class.getResourceAsStream("/rich-schema.sql")) {
      pg.psql("todo", new String(sql.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  @BeforeEach
  void keysetAndRepository() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  private Map<String, String> env(Path kek) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", kek.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private static CommandRun run(Map<String, String> env, String... args) {
    return CommandRun.of(new Main()::execute, env, args);
  }

  /** The backups' ids oldest first, by start instant (ids name the second only). */
  private List<String> backupIds() throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    try (Stream<Path> s = Files.list(repo.resolve("catalog/db-logical"))) {
      return s.sorted(
              java.util.Comparator.comparing(
                  (Path p) -> {
                    try {
                      return java.time.Instant.parse(
                          json.readTree(p.toFile()).path("startedAt").asText());
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  }))
          .map(p -> p.getFileName().toString().replace(".json", ""))
          .toList();
    }
  }

  private void restoreAndCompare(Path kek, String id, String target) {
    CommandRun restore =
        run(env(kek), "restore", "--backup-id", id, "--target-database", target, "--create");
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(DbFingerprint.of(pg, target)).isEqualTo(DbFingerprint.of(pg, "todo"));
  }

  @Test
  void rotateBackUpRewrapDestroyOldKey_everyDumpRestoresIdentically() throws Exception {
    assertThat(run(env(keyset), "backup", "--database", "todo").code()).isZero();
    CommandRun rotate = run(env(keyset), "keyset", "rotate", "--kek-uri", keyset.toString());
    assertThat(rotate.code()).as(rotate.err()).isZero();
    assertThat(run(env(keyset), "backup", "--database", "todo").code()).isZero();
    List<String> ids = backupIds();
    assertThat(ids).hasSize(2);
    long dataBytes;
    try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
      dataBytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }

    CommandRun rewrap = run(env(keyset), "rewrap");

    assertThat(rewrap.code()).as(rewrap.err()).isZero();
    assertThat(rewrap.out())
        .contains("rewrapped backup " + ids.get(0))
        .contains("rewrap: 1 rewrapped, 1 already current, 0 failed")
        .contains("no backup data part was read");
    assertThat(dataBytes).isPositive();
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);
    restoreAndCompare(onlyNew, ids.get(0), "rotated_old");
    restoreAndCompare(onlyNew, ids.get(1), "rotated_new");
    CommandRun show = run(env(onlyNew), "catalog", "show", ids.get(0));
    assertThat(show.out())
        .contains("\"kekId\" : \"" + KeyEncryptionKeys.open(onlyNew.toString()).id() + "\"")
        .contains("\"boundTo\" : \"backup:db-logical/" + ids.get(0) + "\"");
  }

  @Test
  void oldKeyDestroyedWithoutRewrap_restoreNamesTheMissingKeyWithoutStackTrace() throws Exception {
    String old = KeyEncryptionKeys.open(keyset.toString()).id();
    assertThat(run(env(keyset), "backup", "--database", "todo").code()).isZero();
    assertThat(run(env(keyset), "keyset", "rotate", "--kek-uri", keyset.toString()).code())
        .isZero();
    Path onlyNew = dir.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    CommandRun restore =
        run(
            env(onlyNew),
            "restore",
            "--backup-id",
            "latest",
            "--target-database",
            "never_restored",
            "--create");

    // restore treats a key that does not open the backup as configuration (exit 2), as for any
    // wrong key (BackupRestoreCommandIT)
    assertThat(restore.code()).isEqualTo(2);
    assertThat(restore.err())
        .contains("its data key was wrapped by key '" + old + "'")
        .contains("nothing was restored")
        .doesNotContain("\tat ");
    assertThat(
            pg.psql(
                "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'never_restored'"))
        .isEqualTo("0");
  }
}
