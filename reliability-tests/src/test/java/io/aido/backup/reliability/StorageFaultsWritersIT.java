package io.aido.backup.reliability;

import static io.aido.backup.core.storage.FaultInjectingBlobStore.under;
import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.FaultInjectingBlobStore;
import io.aido.backup.core.storage.FaultInjectingBlobStore.Operation;
import io.aido.backup.core.storage.ReplacingFaultInjectingBlobStore;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.reliability.FakeGcs.Call;
import io.aido.backup.reliability.FakeGcs.Kind;
import io.aido.backup.testing.CommandRun;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage faults under the writing commands {@link StorageFaultsIT} leaves out: {@code snapshot},
 * {@code export}, {@code wal-archive}, {@code replicate} (faults in the secondary it writes) and
 * {@code rewrap}, each run in-process against a store registered as {@code memory://NAME}.
 *
 * <p>On any store ({@link ReplacingFaultInjectingBlobStore} around a {@code file://} store, which
 * does not retry): an upload broken mid-run, a short write (the store keeps the start of an object
 * and reports success), a refused record. The run must fail cleanly: exit 1, one {@code error:}
 * line, no stack trace, no new record, nothing half-visible (every listed backup verifies, every
 * visible WAL object fetches whole), and the next run succeeds.
 *
 * <p>On GCS ({@link FakeGcs}, real HTTP, the real client and its retries): 429, 503, connection
 * resets and lost responses are retried, so the run succeeds and what it wrote verifies.
 *
 * <p>Figures are printed for docs/reliability.md.
 */
class StorageFaultsWritersIT {
  @TempDir static Path dir;
  private static WritingCommands jobs;
  private static final AtomicInteger names = new AtomicInteger();

  /** By command: scenarios, faults injected, survived, runs failed cleanly. */
  private static final Map<String, int[]> figures = new LinkedHashMap<>();

  /** One writing command: how it runs, what its repository holds first, what comes before a run. */
  private record Writer(
      String name, Function<String, CommandRun> run, Consumer<String> base, Runnable prepare) {}

  private static Writer snapshot() {
    return new Writer("snapshot", jobs::snapshot, url -> {}, () -> {});
  }

  private static Writer export() {
    return new Writer("export", jobs::export, url -> {}, () -> {});
  }

  private static Writer walArchive() {
    return new Writer("wal-archive", jobs::walArchive, url -> {}, jobs::newWal);
  }

  /** Faults in the secondary; before each run the primary gets a new backup to copy. */
  private static Writer replicate() {
    String primary = jobs.primary.toUri().toString();
    return new Writer(
        "replicate",
        jobs::replicate,
        url -> {},
        () -> assertThat(jobs.backup(primary).code()).isZero());
  }

  /** A repository with a backup and archived WAL; before each run the keyset gets a new key. */
  private static Writer rewrap() {
    return new Writer(
        "rewrap",
        jobs::rewrap,
        url -> {
          assertThat(jobs.backup(url).code()).isZero();
          jobs.newWal();
          assertThat(jobs.walArchive(url).code()).isZero();
        },
        jobs::rotateKeyset);
  }

  @BeforeAll
  static void start() throws Exception {
    jobs = WritingCommands.start(dir);
    assertThat(jobs.backup(jobs.primary.toUri().toString()).code()).isZero();
  }

  @AfterAll
  static void stop() {
    if (jobs != null) {
      jobs.close();
    }
    int[] sum = new int[4];
    StringBuilder by = new StringBuilder();
    figures.forEach(
        (name, f) -> {
          by.append(by.length() == 0 ? "" : ", ")
              .append(
                  String.format(
                      "%s %d (%d injected, %d survived, %d failed cleanly)",
                      name, f[0], f[1], f[2], f[3]));
          for (int i = 0; i < 4; i++) {
            sum[i] += f[i];
          }
        });
    System.out.printf(
        "reliability: storage faults (snapshot, export, wal-archive, replicate, rewrap): %d"
            + " scenarios, %d faults injected, %d survived (run succeeded, what it wrote verified),"
            + " %d runs failed cleanly (exit 1, no new record, nothing half-visible, earlier"
            + " backups verified, the next run succeeded): %s%n",
        sum[0], sum[1], sum[2], sum[3], by);
  }

  private static void count(Writer w, int injected, int survived, int failed) {
    int[] f = figures.computeIfAbsent(w.name(), k -> new int[4]);
    f[0]++;
    f[1] += injected;
    f[2] += survived;
    f[3] += failed;
  }

  private static String url(String name) {
    return "memory://" + name;
  }

  /** A repository holding what {@code w} needs and one successful run of it. */
  private static void seed(Writer w, String url) {
    w.base().accept(url);
    w.prepare().run();
    CommandRun first = w.run().apply(url);
    assertThat(first.code()).as(w.name() + " before the fault:\n" + first.all()).isZero();
  }

  /** Every listed backup verifies and every visible WAL object fetches whole. */
  private static void nothingHalfVisible(String what, String url, BlobStore store)
      throws Exception {
    CommandRun v = jobs.verifyAll(url);
    assertThat(v.code()).as(what + ": every listed backup verifies\n" + v.all()).isZero();
    jobs.fetchEveryWal(store, dir.resolve("scratch-" + names.incrementAndGet()));
  }

  /**
   * {@code w} against a {@code file://} repository with {@code faults}: exit 1, one {@code error:}
   * line, no new record, nothing half-visible; without them the next run succeeds.
   */
  private static void failsCleanly(Writer w, String what, Consumer<FaultInjectingBlobStore> faults)
      throws Exception {
    String name = "writers-" + names.incrementAndGet();
    ReplacingFaultInjectingBlobStore store =
        new ReplacingFaultInjectingBlobStore(new LocalBlobStore(dir.resolve(name)));
    try (BlobStores.Registration r = BlobStores.register(name, store)) {
      String url = url(name);
      seed(w, url);
      List<String> before = WritingCommands.listed(store);
      Map<String, Long> walBefore = WritingCommands.walObjects(store);
      w.prepare().run();
      faults.accept(store);

      CommandRun run = w.run().apply(url);

      store.clear();
      what = w.name() + ": " + what;
      assertThat(run.code()).as(what + ":\n" + run.all()).isEqualTo(1);
      assertThat(run.err().lines().filter(l -> l.startsWith("error: "))).as(what).hasSize(1);
      assertThat(run.all()).as(what).doesNotContain("\tat ", "Exception in thread");
      assertThat(WritingCommands.listed(store)).as(what + ": no new record").isEqualTo(before);
      // rewrap replaces WAL objects (a new header): what must hold is that none is gone
      assertThat(WritingCommands.walObjects(store).keySet())
          .as(what)
          .containsAll(walBefore.keySet());
      nothingHalfVisible(what, url, store);
      CommandRun next = w.run().apply(url);
      assertThat(next.code()).as(what + ": the next run\n" + next.all()).isZero();
      nothingHalfVisible(what + ": after the next run", url, store);
      count(w, 1, 0, 1);
    }
  }

  /** {@code w} on GCS with {@code faults} the client retries: it succeeds and all verifies. */
  private static void survivesOnGcs(Writer w, String what, Consumer<FakeGcs> faults)
      throws Exception {
    String name = "writers-gcs-" + names.incrementAndGet();
    try (FakeGcs gcs = new FakeGcs();
        BlobStores.Registration r = BlobStores.register(name, gcs.store())) {
      String url = url(name);
      seed(w, url);
      w.prepare().run();
      faults.accept(gcs);

      CommandRun run = w.run().apply(url);

      int injected = gcs.injectedTotal();
      gcs.clearFaults();
      what = w.name() + ": " + what;
      assertThat(injected).as(what + ": faults injected").isPositive();
      assertThat(run.code()).as(what + ":\n" + run.all()).isZero();
      nothingHalfVisible(what, url, BlobStores.open(url));
      count(w, injected, injected, 0);
    }
  }

  private static Predicate<String> gcs(String prefix) {
    return n -> n.startsWith(FakeGcs.PREFIX + prefix);
  }

  /** The first object {@code which} selects, and no other. */
  private static Predicate<String> once(Predicate<String> which) {
    AtomicInteger seen = new AtomicInteger();
    return n -> which.test(n) && seen.getAndIncrement() == 0;
  }

  private static Predicate<String> any() {
    return n -> true;
  }

  /** The faults every backup-writing command meets on a store without retries. */
  private static void backupWriterFailsCleanly(Writer w) throws Exception {
    failsCleanly(
        w, "connection reset after 4 KB of a part", s -> s.failUploadsAfter(under("data/"), 4096));
    failsCleanly(
        w,
        "the store keeps only the first 1000 bytes of each part",
        s -> s.truncateUploads(under("data/"), 1000));
    failsCleanly(
        w,
        "the record's write refused",
        s -> s.fail(Operation.CREATE, under("catalog/"), "quota exceeded"));
  }

  /** 429, 503, resets and a lost answer on the uploads of a backup, each within the retries. */
  private static void backupWriterSurvivesOnGcs(Writer w) throws Exception {
    survivesOnGcs(
        w,
        "429 on upload starts, 503 and resets on chunks, a final chunk's answer lost",
        g ->
            g.inject(Call.START_UPLOAD, any(), Kind.THROTTLED, 2)
                .inject(Call.CHUNK, gcs("data/"), Kind.UNAVAILABLE, 2)
                .inject(Call.FINAL_CHUNK, gcs("data/"), Kind.RESET, 2)
                .inject(Call.FINAL_CHUNK, gcs("catalog/"), Kind.LOST_RESPONSE, 1)
                .inject(Call.METADATA, any(), Kind.UNAVAILABLE, 2));
  }

  @Test
  void snapshot_brokenShortAndRefusedWrites_exit1CleanlyAndRetriedGcsFaultsSurvived()
      throws Exception {
    backupWriterFailsCleanly(snapshot());
    backupWriterSurvivesOnGcs(snapshot());
  }

  @Test
  void export_brokenShortAndRefusedWrites_exit1CleanlyAndRetriedGcsFaultsSurvived()
      throws Exception {
    backupWriterFailsCleanly(export());
    backupWriterSurvivesOnGcs(export());
  }

  @Test
  void replicate_brokenShortAndRefusedWritesInTheSecondary_exit1Cleanly() throws Exception {
    backupWriterFailsCleanly(replicate());
    backupWriterSurvivesOnGcs(replicate());
  }

  @Test
  void walArchive_brokenAndShortSegmentWrites_exit1CleanlyAndRetriedGcsFaultsSurvived()
      throws Exception {
    Writer w = walArchive();
    failsCleanly(
        w,
        "connection reset after 4 KB of a WAL object",
        s -> s.failUploadsAfter(under("wal/"), 4096));
    failsCleanly(
        w,
        "the store keeps only the first 1000 bytes of each WAL object",
        s -> s.truncateUploads(under("wal/"), 1000));
    survivesOnGcs(
        w,
        "429 on a WAL upload start, 503 and a reset on final chunks",
        g ->
            g.inject(Call.START_UPLOAD, gcs("wal/"), Kind.THROTTLED, 1)
                .inject(Call.FINAL_CHUNK, gcs("wal/"), Kind.UNAVAILABLE, 1)
                .inject(Call.FINAL_CHUNK, gcs("wal/"), Kind.RESET, 1));
    survivesOnGcs(
        w,
        "a WAL final chunk's answer lost",
        g -> g.inject(Call.FINAL_CHUNK, gcs("wal/"), Kind.LOST_RESPONSE, 1));
  }

  @Test
  void rewrap_refusedBrokenAndShortReplacements_exit1CleanlyAndRetriedGcsFaultsSurvived()
      throws Exception {
    Writer w = rewrap();
    failsCleanly(
        w,
        "every record's replacement refused",
        s -> s.fail(Operation.CREATE, under("catalog/"), "permission denied"));
    failsCleanly(
        w,
        "connection reset after 4 KB of a WAL object's replacement",
        s -> s.failUploadsAfter(under("wal/"), 4096));
    failsCleanly(
        w,
        "the store keeps the first 200 bytes of a record's replacement and reports success",
        s -> s.truncateUploads(once(under("catalog/")), 200));
    failsCleanly(
        w,
        "the read of a WAL object's body ends after 4000 bytes",
        s -> s.truncateReads(under("wal/"), 4000));
    survivesOnGcs(
        w,
        "503 on replacement starts, resets on their final chunks, 429 on reads",
        g ->
            g.inject(Call.START_UPLOAD, any(), Kind.UNAVAILABLE, 2)
                .inject(Call.FINAL_CHUNK, any(), Kind.RESET, 2)
                .inject(Call.MEDIA, any(), Kind.THROTTLED, 2));
  }
}
