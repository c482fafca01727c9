package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore.Operation;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.reliability.FakeGcs.Call;
import io.aido.backup.reliability.FakeGcs.Kind;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage faults under whole commands: {@code backup}, {@code base-backup}, {@code verify} and
 * retention's {@code apply} run in-process against a store registered as {@code memory://NAME}.
 *
 * <p>On GCS ({@link FakeGcs}, real HTTP): 429, 503, connection resets, lost responses, short bodies
 * and latency are retried by the GCS client, so the run succeeds and what it wrote verifies; a
 * fault that does not pass (503 on every try) fails the run cleanly: exit 1, one {@code error:}
 * line, no record, the backups listed before still verify, and the next run succeeds.
 *
 * <p>On any store ({@link FaultInjectingBlobStore} around a {@code file://} store, which does not
 * retry): errors, broken and short uploads and reads fail the run cleanly the same way; latency is
 * survived.
 *
 * <p>Figures are printed for docs/reliability.md.
 */
class StorageFaultsIT {
  private static final String PASSWORD = "Storage-faults-pw";

  @TempDir static Path dir;
  private static PgCluster pg;
  private static Path keyset;
  private static final AtomicInteger names = new AtomicInteger();

  private static int faultsInjected;
  private static int faultsSurvived;
  private static int scenarios;
  private static int cleanFailures;

  @BeforeAll
  static void start() throws Exception {
    pg =
        PgCluster.builder()
            .superuserPassword(PASSWORD)
            .walLevel("replica")
            .maxWalSenders(4)
            .start();
    pg.createDatabase("todo");
    // about 1 MiB that compresses to several 256 KiB upload chunks
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, md5(random()::text) || md5(random()::text)"
            + " FROM generate_series(1, 15000) i;");
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
    System.out.printf(
        "reliability: storage faults: %d scenarios, %d faults injected, %d survived (run"
            + " succeeded, its backup verified), %d runs failed cleanly (exit 1, no record, earlier"
            + " backups verified)%n",
        scenarios, faultsInjected, faultsSurvived, cleanFailures);
  }

  /** One command's run: exit code and what it printed. */
  private record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private static Run run(String url, Supplier<JobMain> job, String... args) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", url);
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.get().execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Run backup(String url) {
    return run(url, io.aido.backup.db.Main::new, "backup", "--database", "todo");
  }

  private static Run baseBackup(String url) {
    return run(url, io.aido.backup.db.Main::new, "base-backup");
  }

  private static Run verifyAll(String url) {
    return run(url, io.aido.backup.verify.Main::new, "verify", "--all", "--no-freshness");
  }

  private static Run applyKeepLast1(String url) {
    return run(
        url,
        io.aido.backup.retention.Main::new,
        "apply",
        "--keep-last",
        "1",
        "--keep-daily",
        "0",
        "--keep-weekly",
        "0",
        "--keep-monthly",
        "0");
  }

  private static List<BackupRecord> listed(BlobStore store) throws IOException {
    return new Catalog(store).list(null);
  }

  /** A run that must fail cleanly: exit 1 and one {@code error:} line, no stack trace. */
  private static void assertCleanFailure(Run r, String what) {
    assertThat(r.code()).as(what + ":\n" + r.all()).isEqualTo(1);
    assertThat(r.err()).as(what).contains("error: ");
    assertThat(r.all()).as(what).doesNotContain("\tat ", "Exception in thread");
    cleanFailures++;
  }

  // ---------------------------------------------------------------- GCS over HTTP, retried

  /**
   * A backup on GCS with {@code faults} injected, then {@code verify --all} without them: a retried
   * fault must leave a run that succeeds and a backup that verifies.
   */
  private static void gcsBackupSurvives(String what, Consumer<FakeGcs> faults) throws Exception {
    try (FakeGcs gcs = new FakeGcs();
        Registered r = Registered.of(gcs.store())) {
      String url = r.url();
      BlobStore store = BlobStores.open(url);
      faults.accept(gcs);

      Run b = backup(url);

      int injected = gcs.injectedTotal();
      assertThat(injected).as(what + ": faults injected").isPositive();
      assertThat(b.code()).as(what + ":\n" + b.all()).isZero();
      gcs.clearFaults();
      assertThat(listed(store)).as(what).hasSize(1);
      Run v = verifyAll(url);
      assertThat(v.code()).as(what + ": verify\n" + v.all()).isZero();
      scenarios++;
      faultsInjected += injected;
      faultsSurvived += injected;
    }
  }

  /** {@code store} registered under a fresh {@code memory://} name, which commands then open. */
  private record Registered(String url, BlobStores.Registration registration)
      implements AutoCloseable {
    static Registered of(BlobStore store) {
      String name = "storage-faults-" + names.incrementAndGet();
      return new Registered("memory://" + name, BlobStores.register(name, store));
    }

    @Override
    public void close() {
      registration.close();
    }
  }

  private static Predicate<String> data() {
    return n -> n.startsWith(FakeGcs.PREFIX + "data/");
  }

  private static Predicate<String> everything() {
    return n -> true;
  }

  @Test
  void gcsBackup_throttledAndUnavailableUploads_retriedAndTheBackupVerifies() throws Exception {
    gcsBackupSurvives(
        "429 on upload starts, four times (the client tries five)",
        g -> g.inject(Call.START_UPLOAD, everything(), Kind.THROTTLED, 4));
    gcsBackupSurvives(
        "503 on chunks and final chunks",
        g ->
            g.inject(Call.CHUNK, data(), Kind.UNAVAILABLE, 3)
                .inject(Call.FINAL_CHUNK, everything(), Kind.UNAVAILABLE, 3));
    gcsBackupSurvives(
        "503 and 429 on metadata reads and listings",
        g ->
            g.inject(Call.METADATA, everything(), Kind.UNAVAILABLE, 4)
                .inject(Call.LIST, everything(), Kind.THROTTLED, 2));
  }

  @Test
  void gcsBackup_connectionResetsAndLostResponses_retriedAndTheBackupVerifies() throws Exception {
    gcsBackupSurvives(
        "connection reset on chunks", g -> g.inject(Call.CHUNK, data(), Kind.RESET, 3));
    gcsBackupSurvives(
        "connection reset on upload starts and final chunks",
        g ->
            g.inject(Call.START_UPLOAD, everything(), Kind.RESET, 2)
                .inject(Call.FINAL_CHUNK, everything(), Kind.RESET, 2));
    gcsBackupSurvives(
        "final chunk accepted but its answer lost",
        g -> g.inject(Call.FINAL_CHUNK, everything(), Kind.LOST_RESPONSE, 3));
  }

  @Test
  void gcsBackup_shortWritesAndLatency_resentAndTheBackupVerifies() throws Exception {
    gcsBackupSurvives(
        "server keeps half of a chunk", g -> g.inject(Call.CHUNK, data(), Kind.SHORT, 3));
    gcsBackupSurvives(
        "150 ms on 40 requests",
        g ->
            g.inject(Call.METADATA, everything(), Kind.SLOW, 15)
                .inject(Call.CHUNK, everything(), Kind.SLOW, 10)
                .inject(Call.FINAL_CHUNK, everything(), Kind.SLOW, 10)
                .inject(Call.LIST, everything(), Kind.SLOW, 5));
  }

  @Test
  void gcsVerify_resetsAnd503OnReads_retriedAndEveryBackupPasses() throws Exception {
    try (FakeGcs gcs = new FakeGcs();
        Registered r = Registered.of(gcs.store())) {
      String url = r.url();
      assertThat(backup(url).code()).isZero();
      // at most four faults per object: the client tries five times
      gcs.inject(Call.MEDIA, n -> n.endsWith("/todo.dump"), Kind.RESET, 2)
          .inject(Call.MEDIA, n -> n.endsWith("/todo.dump"), Kind.THROTTLED, 1)
          .inject(Call.MEDIA, n -> n.endsWith("/globals.sql"), Kind.UNAVAILABLE, 2)
          .inject(Call.MEDIA, everything(), Kind.SLOW, 4);

      Run v = verifyAll(url);

      int injected = gcs.injectedTotal();
      assertThat(injected).isPositive();
      assertThat(v.code()).as(v.all()).isZero();
      assertThat(v.out()).contains("verified 1 backups (0 bad,");
      scenarios++;
      faultsInjected += injected;
      faultsSurvived += injected;
    }
  }

  @Test
  void gcsApply_503OnADelete_exits1KeepingTheBackupWholeAndTheNextRunRemovesIt() throws Exception {
    // the client does not retry a delete without a generation precondition (not idempotent)
    try (FakeGcs gcs = new FakeGcs();
        Registered r = Registered.of(gcs.store())) {
      String url = r.url();
      BlobStore store = BlobStores.open(url);
      assertThat(backup(url).code()).isZero();
      assertThat(backup(url).code()).isZero();
      List<BackupRecord> before = listed(store);
      gcs.inject(Call.DELETE, everything(), Kind.UNAVAILABLE, 1);

      Run a = applyKeepLast1(url);

      int injected = gcs.injectedTotal();
      assertCleanFailure(a, "apply with a delete failing");
      assertThat(a.all()).contains("the backup is kept whole");
      assertThat(listed(store)).isEqualTo(before);
      assertThat(verifyAll(url).code()).isZero();
      assertThat(applyKeepLast1(url).code()).isZero();
      assertThat(listed(store)).hasSize(1);
      scenarios++;
      faultsInjected += injected;
    }
  }

  @Test
  void gcsVerify_downloadEndingHalfway_exits1AsAReadFailureNotABadBackup() throws Exception {
    try (FakeGcs gcs = new FakeGcs();
        Registered r = Registered.of(gcs.store())) {
      String url = r.url();
      assertThat(backup(url).code()).isZero();
      gcs.inject(Call.MEDIA, data(), Kind.SHORT, 1);

      Run v = verifyAll(url);

      int injected = gcs.injectedTotal();
      gcs.clearFaults();
      assertCleanFailure(v, "verify with a download ending halfway");
      assertThat(v.all()).contains("the download ended after").doesNotContain("1 bad");
      assertThat(verifyAll(url).code()).isZero();
      scenarios++;
      faultsInjected += injected;
    }
  }

  // ---------------------------------------------------------------- GCS, faults that persist

  /**
   * A backup on GCS that already holds one; {@code faults} persist past the client's retries: the
   * run must fail cleanly with no new record, the earlier backup must verify, and the next run
   * without faults must succeed.
   */
  private static void gcsBackupFailsCleanly(String what, Consumer<FakeGcs> faults)
      throws Exception {
    try (FakeGcs gcs = new FakeGcs();
        Registered r = Registered.of(gcs.store())) {
      String url = r.url();
      BlobStore store = BlobStores.open(url);
      assertThat(backup(url).code()).isZero();
      List<BackupRecord> before = listed(store);
      faults.accept(gcs);

      Run b = backup(url);

      int injected = gcs.injectedTotal();
      gcs.clearFaults();
      assertCleanFailure(b, what);
      assertThat(listed(store)).as(what).isEqualTo(before);
      assertThat(gcs.objects().keySet())
          .as(what + ": no record of the failed run")
          .filteredOn(n -> n.startsWith("catalog/"))
          .hasSize(1);
      assertThat(verifyAll(url).code()).as(what).isZero();
      assertThat(backup(url).code()).as(what + ": the next run").isZero();
      scenarios++;
      faultsInjected += injected;
    }
  }

  @Test
  void gcsBackup_503OnEveryTryOfAPart_exits1WithNoRecordAndTheNextRunSucceeds() throws Exception {
    gcsBackupFailsCleanly(
        "503 on every final chunk of a part",
        g -> g.always(Call.FINAL_CHUNK, data(), Kind.UNAVAILABLE));
  }

  @Test
  void gcsBackup_resetOnEveryTryOfTheRecord_exits1WithNoRecord() throws Exception {
    gcsBackupFailsCleanly(
        "connection reset on every start of the record's upload",
        g -> g.always(Call.START_UPLOAD, n -> n.contains("catalog/"), Kind.RESET));
  }

  @Test
  void gcsVerify_503OnEveryRead_exits1AndWritesNoResult() throws Exception {
    try (FakeGcs gcs = new FakeGcs();
        Registered r = Registered.of(gcs.store())) {
      String url = r.url();
      assertThat(backup(url).code()).isZero();
      gcs.always(Call.MEDIA, data(), Kind.UNAVAILABLE);

      Run v = verifyAll(url);

      int injected = gcs.injectedTotal();
      gcs.clearFaults();
      assertCleanFailure(v, "verify with every read failing");
      assertThat(gcs.objects().keySet()).noneMatch(n -> n.startsWith("verify/"));
      assertThat(verifyAll(url).code()).isZero();
      scenarios++;
      faultsInjected += injected;
    }
  }

  // ---------------------------------------------------------------- any store, no retries

  /**
   * {@code command} against a {@code file://} repository wrapped with {@code faults}: it must fail
   * cleanly, the backups listed before must stay and verify, and the same command without faults
   * must succeed.
   */
  private static void failsCleanly(
      String what,
      java.util.function.Function<String, Run> command,
      Consumer<FaultInjectingBlobStore> faults)
      throws Exception {
    Path repo = dir.resolve("repo-" + names.get());
    FaultInjectingBlobStore store = new FaultInjectingBlobStore(new LocalBlobStore(repo));
    try (Registered r = Registered.of(store)) {
      String url = r.url();
      assertThat(backup(url).code()).isZero();
      List<BackupRecord> before = listed(store);
      faults.accept(store);

      Run run = command.apply(url);

      store.clear();
      assertCleanFailure(run, what);
      assertThat(listed(store)).as(what).containsAll(before);
      assertThat(listed(store)).as(what + ": no new record").hasSameSizeAs(before);
      assertThat(verifyAll(url).code()).as(what + ": earlier backups verify").isZero();
      assertThat(command.apply(url).code()).as(what + ": the next run").isZero();
      scenarios++;
      faultsInjected++;
    }
  }

  @Test
  void anyStoreBackup_errorsBrokenAndShortUploads_exit1WithNoRecord() throws Exception {
    failsCleanly(
        "backup: every part upload refused",
        StorageFaultsIT::backup,
        s -> s.fail(Operation.CREATE, FaultInjectingBlobStore.under("data/"), "permission denied"));
    failsCleanly(
        "backup: connection reset after 100 KB of a part",
        StorageFaultsIT::backup,
        s -> s.failUploadsAfter(FaultInjectingBlobStore.under("data/"), 100_000));
    failsCleanly(
        "backup: the store keeps only the first 1000 bytes of each part",
        StorageFaultsIT::backup,
        s -> s.truncateUploads(FaultInjectingBlobStore.under("data/"), 1000));
    failsCleanly(
        "backup: the record's write refused",
        StorageFaultsIT::backup,
        s -> s.fail(Operation.CREATE, FaultInjectingBlobStore.under("catalog/"), "quota exceeded"));
    failsCleanly(
        "backup: every stat after the first fails (the commit's check of the parts)",
        StorageFaultsIT::backup,
        s -> s.failAfterCalls(Operation.STAT, 1, "503 backend error"));
  }

  @Test
  void anyStoreBaseBackup_brokenUpload_exit1WithNoRecord() throws Exception {
    failsCleanly(
        "base-backup: connection reset after 200 KB of the data directory",
        StorageFaultsIT::baseBackup,
        s -> s.failUploadsAfter(FaultInjectingBlobStore.under("data/"), 200_000));
  }

  @Test
  void anyStoreVerifyAndApply_brokenReadsAndDeletes_exit1() throws Exception {
    failsCleanly(
        "verify: connection reset after 50 KB of a read",
        StorageFaultsIT::verifyAll,
        s -> s.failReadsAfter(FaultInjectingBlobStore.under("data/"), 50_000, "connection reset"));
    failsCleanly(
        "verify: the listing fails",
        StorageFaultsIT::verifyAll,
        s -> s.fail(Operation.LIST, FaultInjectingBlobStore.under("catalog/"), "503 backend"));
  }

  @Test
  void anyStoreBackup_latencyOnEveryCall_survived() throws Exception {
    Path repo = dir.resolve("repo-" + names.get());
    FaultInjectingBlobStore store = new FaultInjectingBlobStore(new LocalBlobStore(repo));
    try (Registered r = Registered.of(store)) {
      String url = r.url();
      AtomicInteger delayed = new AtomicInteger();
      for (Operation op : Operation.values()) {
        store.delay(op, Duration.ofMillis(20));
        if (op != Operation.LIST) {
          store.before(op, key -> delayed.incrementAndGet());
        }
      }

      Run b = backup(url);

      store.clear();
      assertThat(b.code()).as(b.all()).isZero();
      assertThat(verifyAll(url).code()).isZero();
      scenarios++;
      faultsInjected += delayed.get();
      faultsSurvived += delayed.get();
    }
  }
}
