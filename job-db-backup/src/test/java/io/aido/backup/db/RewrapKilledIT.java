package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.internal.RewrapCommand;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.TestKeysets;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalSegment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code rewrap} killed with SIGKILL, then run again. The rewrap runs as a child JVM (SIGKILL must
 * hit a whole process). Exact points come from the command's pause hook ({@link
 * RewrapCommand#PAUSE_PROPERTY}): the child announces the step and waits, and the test kills it
 * there; the {@code random:*} cases kill at a random moment instead, which can land inside a
 * replacement (temporary file written, not yet renamed). After every kill: every backup is still
 * listed and restores with the old keyset alone or the new one alone (each with what its record
 * names), every WAL object likewise; a second run completes, after which the new key alone opens
 * everything.
 */
class RewrapKilledIT {
  private static final int BACKUPS = 8;
  private static final int WAL_OBJECTS = 2;
  private static final long SEED = Long.getLong("rewrap.seed", System.nanoTime());

  @TempDir Path dir;

  private Path repo;
  private Path keyset;
  private Path oldOnly;
  private final List<BackupRecord> backups = new ArrayList<>();
  private final List<ArchivedWal> wal = new ArrayList<>();
  private final Pipeline pipeline = new Pipeline(new PipelineSettings(2, 2, 64 * 1024, 2));

  private static byte[] content(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private void populate() throws Exception {
    repo = dir.resolve("repo");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKey kek = KeyEncryptionKeys.generateKeysetFile(keyset);
    oldOnly = dir.resolve("old-only.json");
    Files.copy(keyset, oldOnly);
    LocalBlobStore store = new LocalBlobStore(repo);
    Repository repository = Repository.open(store, pipeline, Clock.systemUTC());
    for (int i = 0; i < BACKUPS; i++) {
      try (BackupWriter w =
          repository.begin(BackupKind.DB_LOGICAL, Source.database("todo", "16.4"), kek)) {
        w.writePart("todo.dump", new ByteArrayInputStream(content(i, 50_000)));
        backups.add(w.commit(Map.of()));
      }
    }
    WalArchive archive = new WalArchive(store, pipeline);
    for (int i = 0; i < WAL_OBJECTS; i++) {
      WalSegment segment = new WalSegment(1, 10 + i, 1 << 20);
      Path file = dir.resolve("segment-" + i);
      Files.write(file, content(100 + i, 1 << 20));
      DataKey key = DataKey.generate();
      archive.store(ArchivedWal.whole(segment), file, "7", key, key.wrap(kek), Instant.now());
      wal.add(ArchivedWal.whole(segment));
    }
    KeyEncryptionKeys.rotateKeysetFile(keyset);
  }

  private Process startRewrap(String pauseAt, Path log) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    if (pauseAt != null) {
      command.add("-D" + RewrapCommand.PAUSE_PROPERTY + "=" + pauseAt);
    }
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "rewrap"));
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().put("BACKUP_STORAGE_URL", repo.toUri().toString());
    b.environment().put("BACKUP_KEK_URI", keyset.toString());
    b.environment().put("BACKUP_LOG_FORMAT", "text");
    b.redirectErrorStream(true);
    b.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return b.start();
  }

  private static void awaitLine(Process p, Path log, String line) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(line)) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("rewrap ended before '" + line + "':\n" + Files.readString(log));
      }
      p.waitFor(50, TimeUnit.MILLISECONDS);
    }
    throw new AssertionError("no '" + line + "' within 90 s:\n" + Files.readString(log));
  }

  /** Every backup and WAL object opens with the keyset its stored key names, held alone. */
  private int checkEveryObjectOpensWithItsOwnKey() throws Exception {
    KeyEncryptionKey old = KeyEncryptionKeys.open(oldOnly.toString());
    Path newOnlyFile = dir.resolve("new-only.json");
    Files.deleteIfExists(newOnlyFile);
    TestKeysets.keepOnlyPrimary(keyset, newOnlyFile);
    KeyEncryptionKey fresh = KeyEncryptionKeys.open(newOnlyFile.toString());
    LocalBlobStore store = new LocalBlobStore(repo);
    Repository repository = Repository.openExisting(store, pipeline, Clock.systemUTC());
    assertThat(repository.catalog().list(null)).hasSize(BACKUPS);
    int moved = 0;
    for (int i = 0; i < BACKUPS; i++) {
      BackupRecord stored = repository.catalog().find(backups.get(i).id()).orElseThrow();
      boolean isNew = stored.encryption().kekId().equals(fresh.id());
      moved += isNew ? 1 : 0;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      repository.reader(stored, isNew ? fresh : old).readPart(stored.parts().get(0), out);
      assertThat(out.toByteArray()).isEqualTo(content(i, 50_000));
    }
    WalArchive archive = new WalArchive(store, pipeline);
    for (int i = 0; i < WAL_OBJECTS; i++) {
      Path out = dir.resolve("fetched-" + i);
      boolean isNew = archive.header(wal.get(i).key()).key().kekId().equals(fresh.id());
      moved += isNew ? 1 : 0;
      archive.fetch(wal.get(i), isNew ? fresh : old, out, WalArchive.keyCache());
      assertThat(Files.readAllBytes(out)).isEqualTo(content(100 + i, 1 << 20));
    }
    return moved;
  }

  private int rewrapInProcess() {
    return new Main()
        .execute(
            new JobContext(
                Environment.of(
                    Map.of(
                        "BACKUP_STORAGE_URL", repo.toUri().toString(),
                        "BACKUP_KEK_URI", keyset.toString(),
                        "BACKUP_LOG_FORMAT", "text")),
                new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(OutputStream.nullOutputStream()),
                Clock.systemUTC()),
            "rewrap");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "before-replace:1",
        "after-replace:1",
        "before-replace:5",
        "after-replace:8",
        "before-replace:9",
        "after-replace:10",
        "random:1",
        "random:2"
      })
  void rewrap_killedThenRunAgain_everythingOpensThroughoutAndEndsOnTheNewKey(String point)
      throws Exception {
    populate();
    Path log = dir.resolve("rewrap.log");
    Process p;
    if (point.startsWith("random")) {
      long delay = new Random(SEED + point.hashCode()).nextInt(2500);
      p = startRewrap(null, log);
      p.waitFor(delay, TimeUnit.MILLISECONDS);
    } else {
      p = startRewrap(point, log);
      awaitLine(p, log, "rewrap paused at");
    }
    p.destroyForcibly();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

    int movedBeforeSecondRun = checkEveryObjectOpensWithItsOwnKey();
    if (point.startsWith("after-replace:")) {
      assertThat(movedBeforeSecondRun).isEqualTo(Integer.parseInt(point.split(":")[1]));
    } else if (point.startsWith("before-replace:")) {
      assertThat(movedBeforeSecondRun).isEqualTo(Integer.parseInt(point.split(":")[1]) - 1);
    }

    assertThat(rewrapInProcess()).as("second run (seed " + SEED + ")").isZero();

    assertThat(checkEveryObjectOpensWithItsOwnKey()).isEqualTo(BACKUPS + WAL_OBJECTS);
    try {
      KeyEncryptionKey old = KeyEncryptionKeys.open(oldOnly.toString());
      BackupRecord first =
          Repository.openExisting(new LocalBlobStore(repo), pipeline, Clock.systemUTC())
              .catalog()
              .find(backups.get(0).id())
              .orElseThrow();
      Repository.openExisting(new LocalBlobStore(repo), pipeline, Clock.systemUTC())
          .reader(first, old);
      throw new AssertionError("the old key still opens a rewrapped backup");
    } catch (WrongKeyException expected) {
      assertThat(expected.getMessage()).contains("does not open it");
    }
    assertThat(Files.readString(log, StandardCharsets.UTF_8)).doesNotContain("\tat ");
  }
}
