package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.postgres.pitr.PgCtl;
import io.aido.backup.testing.CommandRun;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuration checks of the point-in-time recovery commands: no server is needed to fail them.
 */
class PitrCommandsTest {
  @TempDir Path dir;
  private final Map<String, String> env = new HashMap<>();
  private String err;

  @BeforeEach
  void repository() throws Exception {
    KeyEncryptionKeys.generateKeysetFile(dir.resolve("k.json"));
    env.put("BACKUP_STORAGE_URL", dir.resolve("repo").toUri().toString());
    env.put("BACKUP_KEK_URI", dir.resolve("k.json").toString());
    env.put("BACKUP_LOG_FORMAT", "text");
  }

  private int run(String... args) {
    CommandRun run = CommandRun.of(new Main()::execute, env, args);
    err = run.err();
    return run.code();
  }

  @Test
  void restorePitr_noTargetNoPgdata_exit2ListingBoth() {
    assertThat(run("restore-pitr")).isEqualTo(2);
    assertThat(err)
        .contains("--target-time, --target-lsn or --latest: not set")
        .contains("--pgdata (BACKUP_PGDATA): not set");
  }

  @Test
  void restorePitr_targetsFromEnvironment_readAndChecked() {
    env.put("BACKUP_TARGET_TIME", "yesterday");
    env.put("BACKUP_PGDATA", dir.resolve("pg").toString());
    assertThat(run("restore-pitr")).isEqualTo(2);
    assertThat(err).contains("--target-time (BACKUP_TARGET_TIME): 'yesterday' is not a time");
  }

  @Test
  void restorePitr_twoTargetsBadLsnBadAction_exit2() {
    assertThat(
            run(
                "restore-pitr",
                "--latest",
                "--target-lsn",
                "16B3748",
                "--target-action",
                "explode",
                "--pgdata",
                dir.toString()))
        .isEqualTo(2);
    assertThat(err)
        .contains("give only one of them")
        .contains("'16B3748' is not a WAL position")
        .contains("'explode' is not promote, pause or shutdown");
  }

  @Test
  void restorePitr_startWithShutdownAction_exit2() {
    assertThat(
            run(
                "restore-pitr",
                "--latest",
                "--start",
                "--target-action",
                "shutdown",
                "--pgdata",
                dir.resolve("pg").toString()))
        .isEqualTo(2);
    assertThat(err)
        .contains("--start (BACKUP_START): with --target-action shutdown the server stops");
    assertThat(dir.resolve("pg")).doesNotExist();
  }

  @Test
  void restorePitr_startAsRoot_oneLineExit2AndNothingRestored() {
    assumeTrue(PgCtl.runningAsRoot(), "only root is refused");
    Path pgdata = dir.resolve("pg");

    assertThat(run("restore-pitr", "--latest", "--start", "--pgdata", pgdata.toString()))
        .isEqualTo(2);

    assertThat(err.lines().toList())
        .containsExactly(
            "error: --start: pg_ctl cannot run as root; run restore-pitr as the PostgreSQL OS user"
                + " (the owner of the data directory), or leave out --start and start the server"
                + " as that user; nothing was restored");
    assertThat(pgdata).doesNotExist();
    assertThat(dir.resolve("repo")).doesNotExist();
  }

  @Test
  void walArchive_badSlotAndDurations_exit2() {
    assertThat(
            run(
                "wal-archive",
                "--slot",
                "Bad-Slot",
                "--partial-interval",
                "PT0S",
                "--metrics-interval",
                "-PT1M",
                "--spool-dir",
                dir.resolve("none").toString()))
        .isEqualTo(2);
    assertThat(err)
        .contains("'Bad-Slot' is not a slot name")
        .contains("--partial-interval (BACKUP_PARTIAL_INTERVAL): must be positive")
        .contains("--metrics-interval (BACKUP_METRICS_INTERVAL): must be positive")
        .contains("is not a directory");
  }

  @Test
  void help_everyPitrCommand_explainsItself() {
    Map<String, String> explains =
        Map.of(
            "base-backup", "pg_basebackup",
            "wal-archive", "replication slot",
            "restore-pitr", "point in time");
    for (Map.Entry<String, String> c : explains.entrySet()) {
      String command = c.getKey();
      CommandRun help = CommandRun.of(new Main()::execute, env, command, "--help");
      assertThat(help.code()).isZero();
      assertThat(help.out()).as(command).contains("Usage:").contains(c.getValue());
    }
  }
}
