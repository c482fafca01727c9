package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgRestore;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** pg_dump streamed straight into pg_restore through the job's classes, on a real server. */
class DumpRestoreIT {
  private static PgCluster pg;
  private static PgConnection conn;
  private static PgTools tools;

  @BeforeAll
  static void startCluster() throws IOException {
    pg = PgCluster.start();
    conn = PgConnection.of(pg.host(), pg.port(), PgCluster.SUPERUSER, null);
    tools = PgTools.in(pg.binDir());
    pg.psql("postgres", "CREATE ROLE todo_owner NOLOGIN");
    pg.createDatabase("rich");
    try (InputStream sql = DumpRestoreIT.class.getResourceAsStream("/rich-schema.sql")) {
      pg.psql("rich", new String(sql.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  /** A dump of {@code db} with its snapshot's counts and owners. */
  private record Dumped(byte[] bytes, Map<String, Long> counts, List<String> owners) {}

  private static Dumped dump(String db) throws Exception {
    try (ConsistentSnapshot snap = ConsistentSnapshot.open(conn, db);
        PgDump dump = PgDump.database(conn, tools, db, snap.id())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      dump.stream().transferTo(out);
      return new Dumped(out.toByteArray(), snap.rowCounts(), snap.owners());
    }
  }

  @Test
  void restore_richSchemaStreamed_everyTableSequenceAndObjectMatches() throws Exception {
    Map<String, Long> counts;
    List<String> owners;
    try (ConsistentSnapshot snap = ConsistentSnapshot.open(conn, "rich");
        PgDump dump = PgDump.database(conn, tools, "rich", snap.id())) {
      counts = snap.rowCounts();
      owners = snap.owners();
      PgRestore.Options opts = new PgRestore.Options(false, true, false);
      boolean created = PgRestore.prepareTarget(conn, "rich_copy", opts, owners);
      PgRestore.restore(conn, tools, dump.stream(), "rich_copy", opts, created);
    }

    assertThat(counts)
        .containsEntry("app.users", 200L)
        .containsEntry("app.todos", 1000L)
        .containsEntry("app.metrics_2026h1", 181L)
        .containsEntry("Mixed Case.Odd \"Name\"", 50L)
        .doesNotContainKey("app.metrics")
        .doesNotContainKey("app.open_todos");
    assertThat(owners).contains("todo_owner", "postgres");
    assertThat(PgRestore.countRows(conn, "rich_copy")).isEqualTo(counts);
    Map<String, String> original = DbFingerprint.of(pg, "rich");
    assertThat(original.get("large objects")).contains(":todo_owner");
    assertThat(original.get("sequence app.invoice_no")).isEqualTo("1004 true");
    assertThat(DbFingerprint.of(pg, "rich_copy")).isEqualTo(original);

    // The restored trigger and foreign key still act.
    pg.psql("rich_copy", "INSERT INTO app.todos (user_id, title) VALUES (1, 'after restore')");
    assertThat(pg.psql("rich_copy", "SELECT count(*) FROM audit.events"))
        .isEqualTo(Long.toString(counts.get("audit.events") + 1));
    assertThatThrownBy(
            () -> pg.psql("rich_copy", "INSERT INTO app.todos (user_id, title) VALUES (9999, 'x')"))
        .hasMessageContaining("foreign key");
  }

  @Test
  void restore_concurrentWriterDuringDump_restoredCountsEqualRecorded() throws Exception {
    pg.createDatabase("busy");
    pg.psql(
        "busy",
        "CREATE TABLE events (id bigserial PRIMARY KEY, payload text);"
            + "CREATE TABLE side (id bigserial PRIMARY KEY);"
            + "INSERT INTO events (payload) SELECT repeat(md5(i::text), 8) FROM generate_series(1, 50000) i;");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong written = new AtomicLong();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = conn.open("busy");
                  Statement s = c.createStatement()) {
                while (!stop.get()) {
                  s.execute(
                      "INSERT INTO events (payload) VALUES ('during'); INSERT INTO side DEFAULT VALUES");
                  written.incrementAndGet();
                }
              } catch (Throwable t) {
                writerFailure.set(t);
              }
            });
    writer.start();
    try {
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (written.get() < 50 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      Dumped dumped;
      long writtenAtSnapshot;
      try (ConsistentSnapshot snap = ConsistentSnapshot.open(conn, "busy")) {
        writtenAtSnapshot = written.get();
        try (PgDump dump = PgDump.database(conn, tools, "busy", snap.id())) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          dump.stream().transferTo(out);
          dumped = new Dumped(out.toByteArray(), snap.rowCounts(), snap.owners());
        }
      }
      while (written.get() < writtenAtSnapshot + 50 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      stop.set(true);
      writer.join();
      assertThat(writerFailure.get()).isNull();

      PgRestore.Options opts = new PgRestore.Options(false, true, false);
      boolean created = PgRestore.prepareTarget(conn, "busy_copy", opts, dumped.owners());
      PgRestore.restore(
          conn, tools, new ByteArrayInputStream(dumped.bytes()), "busy_copy", opts, created);

      Map<String, Long> live = PgRestore.countRows(conn, "busy");
      assertThat(live.get("public.events"))
          .as("rows written after the snapshot")
          .isGreaterThan(dumped.counts().get("public.events"));
      assertThat(dumped.counts().get("public.events") - 50000)
          .isEqualTo(dumped.counts().get("public.side"));
      assertThat(PgRestore.countRows(conn, "busy_copy")).isEqualTo(dumped.counts());
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void dump_invalidSnapshot_streamFailsWithPgDumpError() throws Exception {
    try (PgDump dump = PgDump.database(conn, tools, "rich", "00000003-0000001B-1")) {
      InputStream in = dump.stream();
      assertThatThrownBy(() -> in.transferTo(OutputStreamSink.INSTANCE))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("pg_dump of database 'rich' exited with code 1")
          .hasMessageContaining("snapshot");
      // The failure sticks: a second read does not pretend the stream ended well.
      assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }
  }

  @Test
  void globals_default_containsRolesWithoutPasswordHashes() throws Exception {
    pg.psql("postgres", "CREATE ROLE app_login LOGIN PASSWORD 'role-pw-1'");
    try (PgDump globals = PgDump.globals(conn, tools, false)) {
      String sql = new String(globals.stream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(sql).contains("CREATE ROLE todo_owner").contains("CREATE ROLE app_login");
      assertThat(sql).doesNotContain("SCRAM-SHA-256$").doesNotContain("role-pw-1");
    }
    try (PgDump globals = PgDump.globals(conn, tools, true)) {
      String sql = new String(globals.stream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(sql).contains("SCRAM-SHA-256$");
    }
  }

  @Test
  void prepareTarget_targetWithTables_refusedUnlessClean() throws Exception {
    Dumped dumped = dump("rich");
    pg.createDatabase("occupied");
    pg.psql(
        "occupied",
        "CREATE SCHEMA app; CREATE TABLE app.users (id int); INSERT INTO app.users VALUES (1)");
    PgRestore.Options noClean = new PgRestore.Options(false, false, false);

    JobException refused =
        catchThrowableOfType(
            JobException.class,
            () -> PgRestore.prepareTarget(conn, "occupied", noClean, dumped.owners()));
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.getMessage()).contains("already holds 1 table(s)").contains("--clean");
    assertThat(pg.psql("occupied", "SELECT count(*) FROM app.users")).isEqualTo("1");

    PgRestore.Options clean = new PgRestore.Options(true, false, false);
    PgRestore.prepareTarget(conn, "occupied", clean, dumped.owners());
    PgRestore.restore(
        conn, tools, new ByteArrayInputStream(dumped.bytes()), "occupied", clean, false);
    assertThat(PgRestore.countRows(conn, "occupied")).isEqualTo(dumped.counts());
  }

  @Test
  void prepareTarget_missingWithoutCreate_orExistingWithCreate_refused() {
    JobException missing =
        catchThrowableOfType(
            JobException.class,
            () ->
                PgRestore.prepareTarget(
                    conn, "absent", new PgRestore.Options(false, false, false), List.of()));
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.getMessage()).contains("missing database 'absent'").contains("--create");

    JobException exists =
        catchThrowableOfType(
            JobException.class,
            () ->
                PgRestore.prepareTarget(
                    conn, "rich", new PgRestore.Options(false, true, false), List.of()));
    assertThat(exists.exitCode()).isEqualTo(2);
    assertThat(exists.getMessage()).contains("already exists");
  }

  @Test
  void prepareTarget_ownerRoleMissing_refusedAndCreatedDatabaseDropped_unlessNoOwner()
      throws Exception {
    JobException refused =
        catchThrowableOfType(
            JobException.class,
            () ->
                PgRestore.prepareTarget(
                    conn,
                    "ghostly",
                    new PgRestore.Options(false, true, false),
                    List.of("postgres", "ghost_role")));
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.getMessage()).contains("ghost_role").contains("--no-owner");
    assertThat(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'ghostly'"))
        .isEqualTo("0");

    assertThat(
            PgRestore.prepareTarget(
                conn,
                "ghostly",
                new PgRestore.Options(false, true, true),
                List.of("postgres", "ghost_role")))
        .isTrue();
  }

  @Test
  void restore_truncatedDump_nothingRestoredAndCreatedDatabaseDropped() throws Exception {
    Dumped dumped = dump("rich");
    byte[] half = java.util.Arrays.copyOf(dumped.bytes(), dumped.bytes().length / 2);
    PgRestore.Options opts = new PgRestore.Options(false, true, false);
    boolean created = PgRestore.prepareTarget(conn, "half", opts, dumped.owners());

    JobException e =
        catchThrowableOfType(
            JobException.class,
            () ->
                PgRestore.restore(
                    conn, tools, new ByteArrayInputStream(half), "half", opts, created));

    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e.getMessage())
        .contains("pg_restore into database 'half' exited with code 1")
        .contains("nothing was restored");
    assertThat(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'half'"))
        .isEqualTo("0");
  }

  @Test
  void restore_sourceFailsMidway_reportsTheSourceAndRestoresNothing() throws Exception {
    Dumped dumped = dump("rich");
    pg.createDatabase("broken_source");
    InputStream failing =
        new SequenceInputStream(
            new ByteArrayInputStream(dumped.bytes(), 0, dumped.bytes().length / 2),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("authentication failed at byte 12345");
              }
            });
    PgRestore.Options opts = new PgRestore.Options(false, false, false);

    JobException e =
        catchThrowableOfType(
            JobException.class,
            () -> PgRestore.restore(conn, tools, failing, "broken_source", opts, false));

    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e.getMessage())
        .contains("reading the backup failed: authentication failed at byte 12345")
        .contains("nothing was restored");
    assertThat(PgRestore.countRows(conn, "broken_source")).isEmpty();
  }

  /** Discards bytes. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
