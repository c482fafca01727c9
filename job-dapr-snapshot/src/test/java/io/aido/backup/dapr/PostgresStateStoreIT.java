package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.dapr.PostgresStateStore.Layout;
import io.aido.backup.dapr.StateStore.LiveDataException;
import io.aido.backup.dapr.StateStore.RestoreStats;
import io.aido.backup.dapr.StateStore.SnapshotStats;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL state store against a real PostgreSQL holding Dapr's real v1 and v2 state tables
 * (created with the DDL of Dapr's own migrations, {@link DaprTables}): snapshot, wipe, restore, and
 * every row matches; a write load during the snapshot does not tear a transaction.
 */
class PostgresStateStoreIT {
  private static PgCluster pg;

  @BeforeAll
  static void start() {
    pg = PgCluster.start();
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private String db;

  @BeforeEach
  void database() {
    db = "dapr_" + Long.toHexString(System.nanoTime());
    pg.createDatabase(db);
    DaprTables.createV1(pg, db, "state");
    DaprTables.createV2(pg, db, "v2");
  }

  private PostgresStateStore store(Layout layout) {
    return new PostgresStateStore(
        () -> pg.connect(db), layout, layout == Layout.V1 ? "state" : "v2state", "test/" + db);
  }

  private void fillV1() {
    pg.psql(
        db,
        DaprTables.v1Insert("state", "todo-app||cart", "{\"items\": [1, 2, 3]}", false, null)
            + DaprTables.v1Insert("state", "todo-app||photo", "\"AAEC/f7/\"", true, null)
            + DaprTables.v1Insert(
                "state", "todo-app||session", "{\"user\": \"ann\"}", false, "1 hour")
            + DaprTables.v1Insert("state", "todo-app||gone", "{\"old\": true}", false, "-1 minute")
            + DaprTables.v1Insert("state", "chat-app||history", "[\"hi\", \"there\"]", false, null)
            + DaprTables.v1Insert("state", "todo-app||TodoActor||t1||todos", "[1]", false, null)
            + DaprTables.v1Insert(
                "state", "todo-app||TodoActor||t2||todos", "[2]", false, "2 hours")
            + DaprTables.v1Insert(
                "state", "todo-app||TimerActor||x9||state", "\"AP8=\"", true, null)
            + DaprTables.v1Insert("state", "actors||TodoActor", "[{\"name\": \"r\"}]", false, null)
            // an update, so updatedate is set
            + DaprTables.v1Insert(
                "state", "todo-app||cart", "{\"items\": [1, 2, 3, 4]}", false, null));
  }

  private void fillV2() {
    pg.psql(
        db,
        DaprTables.v2Insert("v2state", "todo-app||cart", "7b2269223a317d", null)
            + DaprTables.v2Insert("v2state", "todo-app||blob", "00ff10fe7f80", null)
            + DaprTables.v2Insert("v2state", "todo-app||ttl", "7b7d", "30 minutes")
            + DaprTables.v2Insert("v2state", "todo-app||expired", "7b7d", "-5 minutes")
            + DaprTables.v2Insert("v2state", "todo-app||TodoActor||t1||todos", "5b315d", null)
            + DaprTables.v2Insert("v2state", "todo-app||TimerActor||x1||s", "0001", "1 hour")
            + DaprTables.v2Insert("v2state", "chat-app||history", "5b5d", null)
            + DaprTables.v2Insert("v2state", "todo-app||cart", "7b2269223a327d", null));
  }

  /** Every live row, with every column, as text, by key. */
  private Map<String, List<String>> rows(Layout layout) throws SQLException {
    String sql =
        layout == Layout.V1
            ? "SELECT key, value::text, isbinary::text, xmin::text, insertdate::text,"
                + " updatedate::text, expiredate::text FROM state WHERE expiredate IS NULL OR"
                + " expiredate >= now()"
            : "SELECT key, encode(value, 'hex'), etag::text, created_at::text, updated_at::text,"
                + " expires_at::text FROM v2state WHERE expires_at IS NULL OR expires_at >= now()";
    Map<String, List<String>> rows = new HashMap<>();
    try (Connection c = pg.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 2; i <= n; i++) {
          row.add(rs.getString(i));
        }
        rows.put(rs.getString(1), row);
      }
    }
    return rows;
  }

  private long count(String table) throws SQLException {
    try (Connection c = pg.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private record Snap(byte[] bytes, SnapshotStats stats) {}

  private static Snap snapshot(StateStore store, KeyFilter filter, OutputStream sinkWrap)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OutputStream sink = sinkWrap == null ? bytes : sinkWrap;
    SnapshotStats stats;
    try (SnapshotFormat.Writer w = new SnapshotFormat.Writer(sink, store.describe())) {
      stats = store.snapshot(filter, w);
      w.finish();
    }
    return new Snap(bytes.toByteArray(), stats);
  }

  private static RestoreStats restore(StateStore store, byte[] snap, KeyFilter f, boolean clean)
      throws IOException, LiveDataException {
    try (SnapshotFormat.Reader r =
        new SnapshotFormat.Reader(new ByteArrayInputStream(snap), "test")) {
      return store.restore(r, f, clean);
    }
  }

  @Test
  void v1_snapshotWipeRestore_everyRowMatchesButTheXminEtag() throws Exception {
    fillV1();
    Map<String, List<String>> before = rows(Layout.V1);
    PostgresStateStore store = store(Layout.V1);

    Snap snap = snapshot(store, KeyFilter.ALL, null);
    assertThat(snap.stats().expiredLeftOut()).isEqualTo(1);
    KeyCounts c = snap.stats().counts();
    assertThat(c.total()).isEqualTo(8);
    assertThat(c.byKind()).isEqualTo(Map.of("state", 4L, "actor", 3L, "reminder", 1L));
    assertThat(c.byApp()).isEqualTo(Map.of("todo-app", 6L, "chat-app", 1L));
    assertThat(c.byActorType()).isEqualTo(Map.of("TodoActor", 3L, "TimerActor", 1L));

    pg.psql(db, "DELETE FROM state");
    RestoreStats restored = restore(store, snap.bytes(), KeyFilter.ALL, false);

    assertThat(restored.counts()).isEqualTo(c);
    assertThat(restored.etagsKept()).isFalse();
    Map<String, List<String>> after = rows(Layout.V1);
    assertThat(after.keySet()).isEqualTo(before.keySet());
    for (String key : before.keySet()) {
      List<String> b = new ArrayList<>(before.get(key));
      List<String> a = new ArrayList<>(after.get(key));
      assertThat(a.get(2)).as("xmin of %s", key).isNotEqualTo(b.get(2));
      b.remove(2);
      a.remove(2);
      assertThat(a).as(key).isEqualTo(b);
    }
    assertThat(after.get("todo-app||photo").get(1)).isEqualTo("true");
    assertThat(after.get("todo-app||cart").get(4)).as("updatedate").isNotNull();
    assertThat(after.get("todo-app||session").get(5)).as("expiredate").isNotNull();
  }

  @Test
  void v2_snapshotWipeRestore_everyRowAndEtagMatches() throws Exception {
    fillV2();
    Map<String, List<String>> before = rows(Layout.V2);
    PostgresStateStore store = store(Layout.V2);

    Snap snap = snapshot(store, KeyFilter.ALL, null);
    assertThat(snap.stats().counts().total()).isEqualTo(6);
    assertThat(snap.stats().expiredLeftOut()).isEqualTo(1);
    pg.psql(db, "TRUNCATE v2state");

    RestoreStats restored = restore(store, snap.bytes(), KeyFilter.ALL, false);

    assertThat(restored.etagsKept()).isTrue();
    assertThat(restored.counts()).isEqualTo(snap.stats().counts());
    assertThat(rows(Layout.V2)).isEqualTo(before);
    assertThat(before.get("todo-app||blob").get(0)).isEqualTo("00ff10fe7f80");
  }

  @Test
  void restore_intoLiveTable_refusedAndNothingChanges_cleanReplaces() throws Exception {
    fillV2();
    PostgresStateStore store = store(Layout.V2);
    Snap snap = snapshot(store, KeyFilter.ALL, null);
    pg.psql(db, DaprTables.v2Insert("v2state", "todo-app||newer", "01", null));
    Map<String, List<String>> live = rows(Layout.V2);

    assertThatThrownBy(() -> restore(store, snap.bytes(), KeyFilter.ALL, false))
        .isInstanceOf(LiveDataException.class)
        .hasMessageContaining("holds 7 live key(s)")
        .hasMessageContaining("--clean");
    assertThat(rows(Layout.V2)).isEqualTo(live);

    RestoreStats cleaned = restore(store, snap.bytes(), KeyFilter.ALL, true);
    assertThat(cleaned.removed()).isEqualTo(8); // 7 live and the expired one
    assertThat(rows(Layout.V2)).doesNotContainKey("todo-app||newer").hasSize(6);
  }

  @Test
  void filters_snapshotOneApp_restoreOnlyItsKeys_otherAppsUntouched() throws Exception {
    fillV1();
    PostgresStateStore store = store(Layout.V1);
    KeyFilter todo = KeyFilter.of(List.of("todo-app"), List.of());
    Snap snap = snapshot(store, todo, null);
    assertThat(snap.stats().counts().byApp()).isEqualTo(Map.of("todo-app", 6L));

    KeyFilter actors = KeyFilter.of(List.of(), List.of("TodoActor"));
    Snap actorSnap = snapshot(store, actors, null);
    assertThat(actorSnap.stats().counts().byKind()).isEqualTo(Map.of("actor", 2L, "reminder", 1L));

    pg.psql(db, "UPDATE state SET value = '\"changed\"' WHERE key = 'chat-app||history'");
    assertThatThrownBy(() -> restore(store, snap.bytes(), todo, false))
        .isInstanceOf(LiveDataException.class);
    RestoreStats r = restore(store, snap.bytes(), todo, true);

    assertThat(r.removed()).isEqualTo(7); // six live todo-app keys and the expired one
    assertThat(r.counts().total()).isEqualTo(6);
    assertThat(rows(Layout.V1).get("chat-app||history").get(0)).isEqualTo("\"changed\"");
  }

  @Test
  void restore_otherLayout_refused() throws Exception {
    fillV1();
    Snap v1 = snapshot(store(Layout.V1), KeyFilter.ALL, null);

    assertThatThrownBy(() -> restore(store(Layout.V2), v1.bytes(), KeyFilter.ALL, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("layouts differ");
  }

  @Test
  void restore_truncatedSnapshot_failsAndTheTableStaysEmpty() throws Exception {
    fillV2();
    Snap snap = snapshot(store(Layout.V2), KeyFilter.ALL, null);
    pg.psql(db, "TRUNCATE v2state");
    byte[] cut = Arrays.copyOf(snap.bytes(), snap.bytes().length - 40);

    assertThatThrownBy(() -> restore(store(Layout.V2), cut, KeyFilter.ALL, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("truncated");
    assertThat(count("v2state")).isZero();
  }

  @Test
  void snapshot_missingTable_failsNamingTableAndServer() {
    PostgresStateStore missing =
        new PostgresStateStore(() -> pg.connect(db), Layout.V2, "nosuchstate", "test/" + db);

    assertThatThrownBy(() -> snapshot(missing, KeyFilter.ALL, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unable to read PostgreSQL state table nosuchstate on test/" + db)
        .hasMessageContaining("does not exist");
  }

  /**
   * A writer commits transfers between two keys (their sum stays 1000) and pairs of keys inserted
   * together, while a deliberately slow sink keeps the snapshot's COPY open. The snapshot must hold
   * a sum of 1000 and whole pairs, and writes must have committed while it ran.
   */
  @Test
  void snapshot_underWriteLoad_holdsWholeTransactionsOnly() throws Exception {
    pg.psql(
        db,
        "INSERT INTO v2state (key, value) SELECT 'load||k' || i, convert_to(repeat('x', 400),"
            + " 'UTF8') FROM generate_series(1, 20000) i;"
            + "INSERT INTO v2state (key, value) VALUES ('bank||a', convert_to('500', 'UTF8')),"
            + " ('bank||b', convert_to('500', 'UTF8'));");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong committed = new AtomicLong();
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              try (Connection c = pg.connect(db);
                  PreparedStatement move =
                      c.prepareStatement(
                          "UPDATE v2state SET value = convert_to((convert_from(value, 'UTF8')::int"
                              + " + ?)::text, 'UTF8'), etag = gen_random_uuid(), updated_at = now()"
                              + " WHERE key = ?");
                  PreparedStatement pair =
                      c.prepareStatement(
                          "INSERT INTO v2state (key, value) VALUES (?, '\\x01'), (?, '\\x02')")) {
                c.setAutoCommit(false);
                for (long n = 0; !stop.get(); n++) {
                  int amount = (int) (n % 7) + 1;
                  move.setInt(1, -amount);
                  move.setString(2, "bank||a");
                  move.executeUpdate();
                  move.setInt(1, amount);
                  move.setString(2, "bank||b");
                  move.executeUpdate();
                  pair.setString(1, "pair||" + n + "-a");
                  pair.setString(2, "pair||" + n + "-b");
                  pair.executeUpdate();
                  c.commit();
                  committed.incrementAndGet();
                }
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    try {
      waitFor(committed, 20);
      for (int round = 0; round < 3; round++) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long before = committed.get();
        Snap snap = snapshot(store(Layout.V2), KeyFilter.ALL, new SlowSink(bytes));
        long during = committed.get() - before;
        assertThat(during).as("transactions committed while the snapshot ran").isPositive();

        Map<String, String> values = new HashMap<>();
        Set<String> pairs = new java.util.HashSet<>();
        try (SnapshotFormat.Reader r =
            new SnapshotFormat.Reader(new ByteArrayInputStream(bytes.toByteArray()), "load")) {
          for (StateEntry e = r.next(); e != null; e = r.next()) {
            if (e.keyText().startsWith("bank||")) {
              values.put(
                  e.keyText(), new String(e.value(), java.nio.charset.StandardCharsets.UTF_8));
            } else if (e.keyText().startsWith("pair||")) {
              pairs.add(e.keyText());
            }
          }
        }
        assertThat(
                Integer.parseInt(values.get("bank||a")) + Integer.parseInt(values.get("bank||b")))
            .isEqualTo(1000);
        assertThat(pairs).isNotEmpty();
        for (String p : pairs) {
          String other = p.endsWith("-a") ? p.replace("-a", "-b") : p.replace("-b", "-a");
          assertThat(pairs).as("partner of %s", p).contains(other);
        }
        assertThat(snap.stats().counts().total()).isEqualTo(20002 + pairs.size());
      }
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void snapshot_connectionKilledMidCopy_failsNamingTheStore() throws Exception {
    pg.psql(
        db,
        "INSERT INTO v2state (key, value) SELECT 'load||k' || i, convert_to(repeat('x', 400),"
            + " 'UTF8') FROM generate_series(1, 20000) i");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CompletableFuture<Snap> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return snapshot(store(Layout.V2), KeyFilter.ALL, new SlowSink(bytes));
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    long deadline = System.nanoTime() + 30_000_000_000L;
    String killed = "";
    while (!killed.contains("t") && !running.isDone() && System.nanoTime() < deadline) {
      killed =
          pg.psql(
              db,
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT"
                  + " key%' AND pid <> pg_backend_pid()");
    }
    assertThat(killed).as("a COPY was found and terminated").contains("t");

    assertThatThrownBy(running::join)
        .hasCauseInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining("unable to read PostgreSQL state table v2state on test/" + db)
        .hasMessageContaining("connection");
    assertThatThrownBy(
            () -> {
              SnapshotFormat.Reader r =
                  new SnapshotFormat.Reader(new ByteArrayInputStream(bytes.toByteArray()), "cut");
              while (r.next() != null) {
                // read to the end: an unfinished snapshot must not read as whole
              }
            })
        .isInstanceOf(IOException.class)
        .hasMessageContaining("truncated");
  }

  private static void waitFor(AtomicLong counter, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (counter.get() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the writer did not get going");
      }
      Thread.sleep(10);
    }
  }

  /** Sleeps a little every 64 KiB, so the snapshot's transaction stays open while writes commit. */
  private static final class SlowSink extends FilterOutputStream {
    private long written;

    SlowSink(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      long before = written / 65536;
      written += len;
      if (written / 65536 != before) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
    }
  }
}
