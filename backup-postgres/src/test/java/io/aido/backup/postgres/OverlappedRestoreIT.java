package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OverlappedRestore} against a real PostgreSQL 15 with the real pg_dump and pg_restore: a
 * dump restored while it is being spooled is the database {@code pg_dump} dumped (schema, rows,
 * sequence values, large objects, grants); a dump that breaks off, a schema step that fails and an
 * archive that is not one stop every part and throw.
 */
class OverlappedRestoreIT {
  private static final PgRestore.Options CREATE = new PgRestore.Options(false, true, true);
  private static PgCluster cluster;
  private static PgConnection pg;
  private static PgTools tools;
  private static byte[] dump;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    cluster = PgCluster.start();
    pg = PgConnection.of(cluster.host(), cluster.port(), PgCluster.SUPERUSER, null);
    tools = PgTools.in(cluster.binDir());
    cluster.psql("postgres", "CREATE ROLE reader NOLOGIN");
    cluster.createDatabase("src");
    cluster.psql(
        "src",
        "CREATE SCHEMA app;"
            + "CREATE TABLE app.a (id int PRIMARY KEY, body text);"
            + "INSERT INTO app.a SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 60000) i;"
            + "CREATE TABLE app.b (id int PRIMARY KEY, a int REFERENCES app.a, note text);"
            + "INSERT INTO app.b SELECT i, i, repeat('x', i % 50) FROM generate_series(1, 20000) i;"
            + "CREATE INDEX b_note ON app.b (note);"
            + "CREATE TABLE app.empty (id int);"
            + "CREATE TABLE app.m (at date NOT NULL, v int) PARTITION BY RANGE (at);"
            + "CREATE TABLE app.m1 PARTITION OF app.m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
            + "INSERT INTO app.m SELECT date '2026-01-01' + (i % 300), i FROM generate_series(1, 3000) i;"
            + "CREATE SEQUENCE app.s START 1000; SELECT nextval('app.s'), nextval('app.s');"
            + "CREATE VIEW app.v AS SELECT count(*) FROM app.a;"
            + "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$BEGIN NEW.note := 'touched'; RETURN NEW; END$$;"
            + "CREATE TRIGGER b_touch BEFORE INSERT ON app.b FOR EACH ROW EXECUTE FUNCTION app.touch();"
            + "COMMENT ON TABLE app.a IS 'the big one';"
            + "GRANT SELECT ON app.a TO reader;"
            + "SELECT lo_from_bytea(0, 'large object bytes');");
    dump = run(tools.command("pg_dump"), "-Fc", "-Z0", "--no-password", "--dbname=src");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static byte[] run(String... command) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().putAll(cluster.env());
    Process p = builder.start();
    p.getOutputStream().close();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    assertThat(p.waitFor()).isZero();
    return out;
  }

  /** The database as plain SQL, without the random key of its {@code \restrict} lines. */
  private static List<String> plainDump(String database) throws Exception {
    String sql =
        new String(
            run(tools.command("pg_dump"), "--no-password", "--dbname=" + database),
            java.nio.charset.StandardCharsets.UTF_8);
    return sql.lines().filter(l -> !l.matches("\\\\(un)?restrict .*")).toList();
  }

  private static int sessions(String database) {
    return Integer.parseInt(
        cluster
            .psql(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database + "'")
            .trim());
  }

  private static void awaitNoSessions(String database) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (sessions(database) > 0 && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
    }
    assertThat(sessions(database)).as("sessions left on " + database).isZero();
  }

  private static List<ProcessHandle> pgRestores() {
    List<ProcessHandle> found = new ArrayList<>();
    ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.info().commandLine().orElse("").contains("pg_restore"))
        .forEach(found::add);
    return found;
  }

  @Test
  void restore_richDump_sameDatabaseAsDumpedAndTablesLoadedWhileArriving() throws Exception {
    Databases.create(pg, "overlapped");
    OverlappedRestore.Outcome outcome;
    try (RestoreSpool spool = RestoreSpool.open(dir, dump.length, "backup x")) {
      outcome =
          OverlappedRestore.restore(
              pg, tools, spool, new ByteArrayInputStream(dump), "overlapped", CREATE, 2);
    }

    assertThat(outcome.spooled().bytes()).isEqualTo(dump.length);
    assertThat(outcome.spooled().patched()).isTrue();
    assertThat(outcome.streamed()).isGreaterThanOrEqualTo(4); // a, b, empty, m1
    List<String> restored = plainDump("overlapped");
    assertThat(restored).hasSizeGreaterThan(80000);
    assertThat(restored.equals(plainDump("src")))
        .as("pg_dump of the restore equals the source's")
        .isTrue();
    assertThat(PgRestore.countRows(pg, "overlapped"))
        .containsEntry("app.a", 60000L)
        .containsEntry("app.b", 20000L)
        .containsEntry("app.m1", 3000L);
    assertThat(pgRestores()).isEmpty();
  }

  @Test
  void restore_dumpBreaksOffHalfway_throwsItsFailureAndStopsEveryPgRestore() throws Exception {
    Databases.create(pg, "broken");
    InputStream breaking =
        new SequenceInputStream(
            new ByteArrayInputStream(dump, 0, dump.length / 2),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("authentication failed at byte " + dump.length / 2);
              }
            });
    try (RestoreSpool spool = RestoreSpool.open(dir, dump.length, "backup x")) {
      assertThatThrownBy(
              () -> OverlappedRestore.restore(pg, tools, spool, breaking, "broken", CREATE, 2))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("authentication failed at byte");
    }
    assertThat(pgRestores()).isEmpty();
    awaitNoSessions("broken");
    Databases.drop(pg, "broken");
  }

  @Test
  void restore_schemaStepFails_throwsNamingPgRestoreAndStopsTheCopy() throws Exception {
    Databases.create(pg, "occupied");
    cluster.psql("occupied", "CREATE SCHEMA app");
    try (RestoreSpool spool = RestoreSpool.open(dir, dump.length, "backup x")) {
      assertThatThrownBy(
              () ->
                  OverlappedRestore.restore(
                      pg, tools, spool, new ByteArrayInputStream(dump), "occupied", CREATE, 2))
          .isInstanceOf(JobException.class)
          .hasMessageContaining("unable to restore into database 'occupied'")
          .hasMessageContaining("pre-data")
          .hasMessageContaining("already exists");
    }
    assertThat(pgRestores()).isEmpty();
    assertThat(
            cluster
                .psql("occupied", "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'")
                .trim())
        .isEqualTo("0");
  }

  @Test
  void restore_notAnArchive_spooledWholeThenPgRestoreRefusesIt() throws Exception {
    Databases.create(pg, "garbage");
    byte[] garbage = "this is not a custom-format archive".getBytes();
    try (RestoreSpool spool = RestoreSpool.open(dir, garbage.length, "backup x")) {
      assertThatThrownBy(
              () ->
                  OverlappedRestore.restore(
                      pg, tools, spool, new ByteArrayInputStream(garbage), "garbage", CREATE, 2))
          .isInstanceOf(JobException.class)
          .hasMessageContaining("pg_restore");
    }
    assertThat(pgRestores()).isEmpty();
  }
}
