package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify} reads the archived WAL's object names: a gap in the chain is a failure (exit 3)
 * naming the positions between which point-in-time recovery is impossible.
 */
class WalGapVerifyIT {
  @TempDir Path root;

  private int verify(ByteArrayOutputStream out) throws Exception {
    Path key = root.resolve("kek.json");
    if (!key.toFile().exists()) {
      KeyEncryptionKeys.generateKeysetFile(key);
    }
    JobContext context =
        new JobContext(
            Environment.of(Map.of()),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    return new Main()
        .execute(
            context,
            "verify",
            "--no-freshness",
            "--storage-url",
            root.resolve("repo").toUri().toString(),
            "--kek-uri",
            key.toString(),
            "--log-format",
            "text");
  }

  /** A repository as the jobs create it (verify never creates one), holding only WAL. */
  private LocalBlobStore repository() throws Exception {
    LocalBlobStore store = new LocalBlobStore(root.resolve("repo"));
    Repository.open(store, new Pipeline(PipelineSettings.defaults()), Clock.systemUTC());
    return store;
  }

  private void archive(LocalBlobStore store, long... segnos) throws Exception {
    for (long segno : segnos) {
      store.create(
          ArchivedWal.keyOf(new WalSegment(1, segno, WalSegment.DEFAULT_SIZE)),
          new ByteArrayInputStream(new byte[] {1}));
    }
  }

  @Test
  void verify_walChainWithGap_exit3NamingThePositions() throws Exception {
    LocalBlobStore store = repository();
    archive(store, 2, 3, 5);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(verify(out)).isEqualTo(3);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("wal: point-in-time recovery is impossible between 0/4000000 and 0/5000000");
  }

  @Test
  void verify_unbrokenWalChain_ok() throws Exception {
    LocalBlobStore store = repository();
    archive(store, 2, 3, 4);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(verify(out)).as(out.toString(StandardCharsets.UTF_8)).isZero();
  }
}
