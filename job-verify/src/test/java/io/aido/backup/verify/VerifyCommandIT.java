package io.aido.backup.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.Source;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.FakeCloudKms;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.TestKeysets;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupWriter;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.verification.VerificationResults;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The job as a CronJob runs it, against a {@code file://} repository whose backups were written by
 * the real {@link Repository} and then damaged on disk, one way per test.
 */
class VerifyCommandIT {
  private static final Instant T0 = Instant.parse("2026-11-24T02:00:00Z");
  private static final int PART_BYTES = 300_000;

  @TempDir Path root;
  @TempDir Path keys;
  private Path keyset;
  private LocalBlobStore store;
  private BackupRecord a;
  private BackupRecord b;
  private ByteArrayOutputStream out;
  private ByteArrayOutputStream err;

  @BeforeEach
  void setUp() throws Exception {
    keyset = keys.resolve("kek.json");
    KeyEncryptionKey kek = KeyEncryptionKeys.generateKeysetFile(keyset);
    store = new LocalBlobStore(root);
    Repository repo =
        Repository.open(
            store,
            new Pipeline(new PipelineSettings(3, 2, 64 * 1024, 2)),
            Clock.fixed(T0, ZoneOffset.UTC));
    a = backup(repo, kek, 1);
    b = backup(repo, kek, 2);
  }

  /** Incompressible parts of equal size, so a swapped part passes the size check. */
  private static BackupRecord backup(Repository repo, KeyEncryptionKey kek, int seed)
      throws Exception {
    byte[] dump = new byte[PART_BYTES];
    new Random(seed).nextBytes(dump);
    try (BackupWriter w = repo.begin(BackupKind.DB_LOGICAL, Source.database("todo", "15.8"), kek)) {
      w.writePart("todo.dump", new ByteArrayInputStream(dump));
      w.writePart("globals.sql", new ByteArrayInputStream("CREATE ROLE todo;".getBytes()));
      return w.commit(Map.of());
    }
  }

  private int verify(String... args) {
    return verifyWith(keyset, args);
  }

  private int verifyWith(Path key, String... args) {
    return verifyWith(key, new VerifyCommand(), args);
  }

  /** Runs {@code verify}, a command built with its test seams (an injected fault). */
  private int verifyWith(Path key, VerifyCommand verify, String... args) {
    out = new ByteArrayOutputStream();
    err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("verify"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "--storage-url",
            root.toUri().toString(),
            "--kek-uri",
            key.toString(),
            "--log-format",
            "text"));
    if (!all.contains("--now")) {
      all.addAll(List.of("--now", T0.plus(Duration.ofHours(1)).toString()));
    }
    JobContext context =
        new JobContext(
            Environment.of(Map.of()),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    CommandLine cl = new Main(verify).commandLine(context);
    return cl.execute(all.toArray(String[]::new));
  }

  private String output() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private Path file(BackupRecord r, String part) {
    return root.resolve(r.part(part).orElseThrow().object());
  }

  private void assertBad(String part, String problem) throws Exception {
    int code = verify();

    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(3);
    assertThat(output())
        .contains("backup " + a.id() + " (db-logical) part " + part + ": " + problem);
    assertThat(output()).doesNotContain("backup " + b.id());
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, a.id()).orElseThrow().ok())
        .isFalse();
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, b.id()).orElseThrow().ok())
        .isTrue();
  }

  @Test
  void verify_goodRepository_exits0AndRecordsOkResultsOnce() throws Exception {
    assertThat(verify()).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(output()).contains("verified 2 backups (0 bad,", "0 stale kinds; 0 problems");
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL))
        .containsOnlyKeys(a.id(), b.id())
        .allSatisfy((id, r) -> assertThat(r.ok()).isTrue());
    assertThat(store.list(Layout.AUDIT)).hasSize(2);

    assertThat(verify()).isZero();
    assertThat(output()).contains("verified 0 backups", "skipped 2 verified before");
    assertThat(store.list(Layout.VERIFY)).hasSize(2);
  }

  @Test
  void verify_flippedByteInTheMiddle_exits3NamingBackupAndPart() throws Exception {
    Path f = file(a, "todo.dump");
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      long middle = raf.length() / 2;
      raf.seek(middle);
      int v = raf.read();
      raf.seek(middle);
      raf.write(v ^ 0x01);
    }
    assertBad("todo.dump", "");
    assertThat(output()).contains("authentication failed at plaintext byte ");
  }

  @Test
  void verify_truncatedPart_exits3() throws Exception {
    Path f = file(a, "todo.dump");
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(raf.length() - 1000);
    }
    assertBad("todo.dump", "object '");
    assertThat(output()).contains("(truncated, replaced or altered)");
  }

  @Test
  void verify_deletedPart_exits3() throws Exception {
    Files.delete(file(a, "globals.sql"));
    assertBad("globals.sql", "object '");
    assertThat(output()).contains("is missing in");
  }

  @Test
  void verify_partSwappedWithAnotherBackups_exits3() throws Exception {
    assertThat(Files.size(file(b, "todo.dump"))).isEqualTo(Files.size(file(a, "todo.dump")));
    Files.copy(file(b, "todo.dump"), file(a, "todo.dump"), StandardCopyOption.REPLACE_EXISTING);
    assertBad("todo.dump", "");
  }

  @Test
  void verify_unsealedRecordOfAnEarlierVersionWithEditedSha256_exits3() throws Exception {
    Path record = root.resolve(Layout.record(a.kind(), a.id()).name());
    String sha = a.part("todo.dump").orElseThrow().plaintextSha256();
    String edited = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
    // a record as earlier versions wrote it (no seal, no marker): the part checks catch the edit
    String json = new String(RecordJson.write(a.withSeal(null)), StandardCharsets.UTF_8);
    assertThat(json).contains(sha);
    Files.writeString(record, json.replace(sha, edited));
    Files.delete(root.resolve(Layout.sealMarker().name()));

    assertBad("todo.dump", "plaintext SHA-256 is " + sha);
  }

  @Test
  void verify_sealedRecordWithEditedSha256_exits3NamingTheBackupWithoutReadingParts()
      throws Exception {
    Path record = root.resolve(Layout.record(a.kind(), a.id()).name());
    String sha = a.part("todo.dump").orElseThrow().plaintextSha256();
    String edited = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
    Files.writeString(record, Files.readString(record).replace(sha, edited));

    assertThat(verify()).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(3);
    assertThat(output())
        .contains("backup " + a.id() + " (db-logical): record '")
        .contains("failed authentication")
        .doesNotContain("backup " + b.id());
  }

  @Test
  void verify_sealStripped_exits3NamingTheBackup() throws Exception {
    Path record = root.resolve(Layout.record(a.kind(), a.id()).name());
    Files.write(record, RecordJson.write(a.withSeal(null)));

    assertThat(verify()).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(3);
    assertThat(output()).contains("backup " + a.id() + " (db-logical): record '", "has no seal");
  }

  @Test
  void verifyAll_recordDeletedAfterItWasVerified_exits3NamingTheBackup() throws Exception {
    assertThat(verify()).isZero();
    Files.delete(root.resolve(Layout.record(a.kind(), a.id()).name()));

    assertThat(verify("--all")).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(3);
    assertThat(output())
        .contains("backup " + a.id() + " (db-logical): record deleted: 2 part(s)")
        .doesNotContain("backup " + b.id() + " (db-logical): record");
  }

  @Test
  void verifyAll_partsOfARunKilledBeforeItsCommit_notReported() throws Exception {
    // what a killed run leaves: parts, no record, never verified
    Files.delete(root.resolve(Layout.record(a.kind(), a.id()).name()));

    assertThat(verify("--all")).as(err.toString(StandardCharsets.UTF_8)).isZero();
  }

  @Test
  void verify_keyThatNoLongerUnwraps_exits3ForEveryBackup() throws Exception {
    Path other = keys.resolve("other.json");
    KeyEncryptionKeys.generateKeysetFile(other);

    int code = verifyWith(other);

    assertThat(code).isEqualTo(3);
    assertThat(output())
        .contains("backup " + a.id() + " (db-logical): unable to unwrap the data key")
        .contains("backup " + b.id() + " (db-logical): unable to unwrap the data key");
  }

  @Test
  void verify_newestDump27HoursOld_exits3Stale() throws Exception {
    assertThat(verify()).isZero();

    int code = verify("--now", T0.plus(Duration.ofHours(27)).toString());

    assertThat(code).isEqualTo(3);
    assertThat(output())
        .contains("kind db-logical: newest verified backup " + b.id().value().substring(0, 17))
        .contains("started 27h ago, older than the limit of 26h");
    assertThat(
            verify(
                "--now", T0.plus(Duration.ofHours(27)).toString(), "--max-age", "db-logical=28h"))
        .isZero();
  }

  @Test
  void verify_requiredKindWithoutBackups_exits3() {
    int code = verify("--require-kind", "dapr");

    assertThat(code).isEqualTo(3);
    assertThat(output()).contains("kind dapr: no complete and verified backup (limit 26h)");
  }

  @Test
  void verify_unreadableRecordFile_exits3NamingIt() throws Exception {
    Path record = root.resolve(Layout.record(a.kind(), a.id()).name());
    Files.writeString(record, "{\"format\":1,");

    int code = verify();

    assertThat(code).isEqualTo(3);
    assertThat(output())
        .contains("record '" + Layout.record(a.kind(), a.id()) + "': ")
        .contains("verified 1 backups (0 bad,", "1 unreadable records");
  }

  @Test
  void verify_storageFailsHalfway_exits1AndKeepsTheResultsWritten() throws Exception {
    // backups are verified in catalog order (start instant, then id); the store fails while
    // reading the second one
    java.util.Comparator<BackupRecord> byStart =
        java.util.Comparator.comparing(BackupRecord::startedAt).thenComparing(BackupRecord::id);
    BackupRecord first = byStart.compare(a, b) < 0 ? a : b;
    BackupRecord second = first == a ? b : a;
    List<String> secondParts = second.parts().stream().map(p -> p.object()).toList();
    // a store that drops the connection: no real store fails on demand
    VerifyCommand outage =
        new VerifyCommand(
            inner ->
                new FaultInjectingBlobStore(inner)
                    .failReadsAfter(secondParts::contains, 0, "connection reset by peer"),
            null);

    int code = verifyWith(keyset, outage);

    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("connection reset by peer");
    assertThat(
            VerificationResults.newest(store, BackupKind.DB_LOGICAL, first.id()).orElseThrow().ok())
        .isTrue();
    assertThat(VerificationResults.newest(store, BackupKind.DB_LOGICAL, second.id())).isEmpty();

    assertThat(verify()).isZero();
    assertThat(output()).contains("verified 1 backups (0 bad,", "skipped 1 verified before");
  }

  @Test
  void verify_backupRemovedByRetentionAfterTheListing_notReportedBroken() throws Exception {
    // retention removes the second backup (record first, then its parts) after verify listed it
    // and before verify reads it, as it may whenever the backup holds no live lease
    String secondId = b.id().value();
    java.util.concurrent.atomic.AtomicBoolean removed =
        new java.util.concurrent.atomic.AtomicBoolean();
    FaultInjectingBlobStore.Fault retention =
        key -> {
          if (key.name().contains(secondId)
              && !removed.getAndSet(true)
              && io.aido.backup.core.retention.Leases.live(store, b.kind(), b.id(), Instant.now())
                  .isEmpty()) {
            store.delete(Layout.record(b.kind(), b.id()));
            for (var part : b.parts()) {
              store.delete(io.aido.backup.core.storage.ObjectKey.of(part.object()));
            }
          }
        };
    VerifyCommand racing =
        new VerifyCommand(
            inner ->
                new FaultInjectingBlobStore(inner)
                    .before(FaultInjectingBlobStore.Operation.STAT, retention)
                    .before(FaultInjectingBlobStore.Operation.CREATE, retention),
            null);

    int code = verifyWith(keyset, racing);

    assertThat(removed).isTrue();
    assertThat(code).as(output() + err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("backup " + secondId + " (db-logical) was removed meanwhile; not checked");
    assertThat(store.list("lease/")).as("verify's leases released").isEmpty();
  }

  @Test
  void verify_kmsDown_exits1WithoutWritingAResult() throws Exception {
    Path kmsRoot = keys.resolve("kms-repo");
    LocalBlobStore kmsStore = new LocalBlobStore(kmsRoot);
    // Cloud KMS cannot run here: FakeCloudKms answers its REST API over real HTTP.
    try (FakeCloudKms kms = new FakeCloudKms()) {
      KeyEncryptionKey remote =
          kms.open("gcp-kms://projects/p/locations/global/keyRings/r/cryptoKeys/backup");
      Repository repo =
          Repository.open(
              kmsStore,
              new Pipeline(new PipelineSettings(3, 2, 64 * 1024, 2)),
              Clock.fixed(T0, ZoneOffset.UTC));
      BackupRecord r = backup(repo, remote, 3);
      kms.failWith(503);
      root = kmsRoot;

      int code = verifyWith(keyset, new VerifyCommand(UnaryOperator.identity(), remote));

      assertThat(code).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("backup " + r.id() + " (db-logical): unable to unwrap the data key")
          .contains("Cloud KMS answered HTTP 503")
          .contains("verification stopped without a result for it");
      assertThat(kmsStore.list(Layout.VERIFY)).isEmpty();
    }
  }

  @Test
  void verify_emptyDirectory_exits2AndCreatesNoRepository() throws Exception {
    Path empty = keys.resolve("empty");
    Files.createDirectories(empty);
    root = empty;

    int code = verify();

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--storage-url (BACKUP_STORAGE_URL): no repository at '");
    try (var files = Files.list(empty)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void verify_mistypedDirectory_exits2AndCreatesNothing() {
    Path missing = keys.resolve("no-such-repository");
    root = missing;

    int code = verify();

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no repository at '");
    assertThat(missing).doesNotExist();
  }

  private VerifyCommand command;

  private double keysNotCurrent(BackupKind kind) {
    for (MetricSnapshot s : command.runMetrics().registry().scrape()) {
      if (s.getMetadata().getName().equals("backup_keys_not_current")) {
        for (DataPointSnapshot d : s.getDataPoints()) {
          if (kind.id().equals(d.getLabels().get("kind"))) {
            return ((GaugeSnapshot.GaugeDataPointSnapshot) d).getValue();
          }
        }
      }
    }
    throw new AssertionError("backup_keys_not_current{kind=" + kind + "} was not set");
  }

  @Test
  void verify_afterRotation_listsBackupsOnTheOldKeyAndCountsThemButPasses() throws Exception {
    String old = KeyEncryptionKeys.open(keyset.toString()).id();
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    String now = KeyEncryptionKeys.open(keyset.toString()).id();

    command = new VerifyCommand();
    int code = verifyWith(keyset, command);

    assertThat(code).as(output()).isEqualTo(0);
    assertThat(output())
        .contains(
            "backup "
                + a.id()
                + " (db-logical): data key wrapped by '"
                + old
                + "', not the current key '"
                + now
                + "'")
        .contains("; 2 backups wrapped by an older key");
    assertThat(keysNotCurrent(BackupKind.DB_LOGICAL)).isEqualTo(2.0);
  }

  @Test
  void verify_afterRotateRewrapAndRemovingTheOldKey_everyBackupPasses() throws Exception {
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    int rewrapped =
        new Main()
            .execute(
                new JobContext(
                    Environment.of(
                        Map.of(
                            "BACKUP_STORAGE_URL",
                            root.toUri().toString(),
                            "BACKUP_KEK_URI",
                            keyset.toString(),
                            "BACKUP_LOG_FORMAT",
                            "text")),
                    new PrintStream(OutputStream.nullOutputStream()),
                    new PrintStream(OutputStream.nullOutputStream()),
                    Clock.systemUTC()),
                "rewrap");
    assertThat(rewrapped).isEqualTo(0);
    Path onlyNew = keys.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    command = new VerifyCommand();
    int code = verifyWith(onlyNew, command, "--all");

    assertThat(code).as(output()).isEqualTo(0);
    assertThat(output())
        .contains("verified 2 backups (0 bad")
        .contains("; 0 backups wrapped by an older key");
    assertThat(keysNotCurrent(BackupKind.DB_LOGICAL)).isEqualTo(0.0);
  }

  @Test
  void verify_oldKeyRemovedWithoutRewrap_exits3NamingTheMissingKey() throws Exception {
    String old = KeyEncryptionKeys.open(keyset.toString()).id();
    KeyEncryptionKeys.rotateKeysetFile(keyset);
    Path onlyNew = keys.resolve("only-new.json");
    TestKeysets.keepOnlyPrimary(keyset, onlyNew);

    int code = verifyWith(onlyNew, "--all");

    assertThat(code).isEqualTo(3);
    assertThat(output())
        .contains(
            "backup "
                + a.id()
                + " (db-logical): unable to unwrap the data key: it was wrapped by"
                + " key-encryption key '"
                + old
                + "'");
    assertThat(output() + err.toString(StandardCharsets.UTF_8)).doesNotContain("\tat ");
  }
}
