package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.testing.CommandRun;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad configuration is reported all at once with exit code 2, before anything is contacted. */
class DaprConfigTest {

  private static String[] run(int expected, Map<String, String> env, String... args) {
    CommandRun run = CommandRun.of(new Main()::execute, env, args);
    assertThat(run.code()).as(run.err()).isEqualTo(expected);
    return new String[] {run.out(), run.err()};
  }

  @Test
  void snapshot_noRepositoryAndBadKubernetesUrl_exit2ListingBoth() {
    String err =
        run(2, Map.of("BACKUP_LOG_FORMAT", "text"), "snapshot", "--kubernetes-url", "ftp://api")[1];

    assertThat(err)
        .contains("--storage-url (BACKUP_STORAGE_URL)")
        .contains("--kek-uri (BACKUP_KEK_URI)")
        .contains("'ftp://api' is not an http(s) URL");
  }

  @Test
  void restore_noOrMalformedBackupId_exit2() {
    assertThat(run(2, Map.of(), "restore")[1]).contains("--backup-id (BACKUP_BACKUP_ID): not set");
    assertThat(run(2, Map.of(), "restore", "--backup-id", "yesterday")[1])
        .contains("'yesterday' is neither latest nor a backup id");
  }

  @Test
  void help_explainsSnapshotAndRestore() {
    assertThat(run(0, Map.of(), "--help")[0]).contains("snapshot", "restore");
    assertThat(run(0, Map.of(), "restore", "--help")[0])
        .contains("--clean", "BACKUP_CLEAN", "--app-id", "--actor-type", "--store");
  }

  @Test
  void snapshot_badSchedulerModeAndEndpoint_exit2ListingBoth() {
    String err =
        run(
            2,
            Map.of("BACKUP_SCHEDULER_ENDPOINTS", "scheduler:2379"),
            "snapshot",
            "--scheduler",
            "sometimes")[1];

    assertThat(err)
        .contains("--scheduler (BACKUP_SCHEDULER): 'sometimes' is none of auto, off, required")
        .contains("'scheduler:2379' is not an http(s)://host:port URL");
  }
}
