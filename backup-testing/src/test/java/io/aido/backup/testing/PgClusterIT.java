package io.aido.backup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PgClusterIT {

  @Test
  void start_trustAuth_psqlAndJdbcSeeTheSameDataWithinSeconds() throws Exception {
    long t0 = System.nanoTime();
    try (PgCluster pg = PgCluster.start()) {
      long startMillis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(startMillis).as("start time in ms").isLessThan(10_000);

      pg.createDatabase("todo");
      pg.psql("todo", "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);");
      try (Connection c = pg.connect("todo");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(2);
      }
      assertThat(pg.psql("todo", "SELECT id FROM t ORDER BY id")).isEqualTo("1\n2");
      assertThat(pg.env())
          .containsKeys("PGHOST", "PGPORT", "PGUSER")
          .doesNotContainKey("PGPASSWORD");
    }
  }

  @Test
  void psql_badSql_failsWithPostgresMessage() {
    try (PgCluster pg = PgCluster.start()) {
      assertThatThrownBy(() -> pg.psql("postgres", "SELECT * FROM no_such_table"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no_such_table");
    }
  }

  @Test
  void start_withPassword_tcpNeedsItAndWalSettingsApply() throws Exception {
    try (PgCluster pg =
        PgCluster.builder()
            .superuserPassword("right-pw")
            .walLevel("replica")
            .maxWalSenders(2)
            .start()) {
      try (Connection c = pg.connect("postgres")) {
        assertThat(c.isValid(5)).isTrue();
      }
      assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl("postgres"), "postgres", "x"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("password authentication failed");
      assertThat(pg.env()).containsEntry("PGPASSWORD", "right-pw");
      assertThat(pg.psql("postgres", "SHOW wal_level")).isEqualTo("replica");
      assertThat(pg.psql("postgres", "SHOW max_wal_senders")).isEqualTo("2");

      pg.createRole("alice", "alice-pw");
      try (Connection c =
          DriverManager.getConnection(pg.jdbcUrl("postgres"), "alice", "alice-pw")) {
        assertThat(c.isValid(5)).isTrue();
      }
    }
  }

  @Test
  void kill_openConnection_breaksAndStartRecoversCommittedData() throws Exception {
    try (PgCluster pg = PgCluster.start()) {
      pg.psql("postgres", "CREATE TABLE t (id int); INSERT INTO t VALUES (7);");
      try (Connection c = pg.connect("postgres")) {
        pg.kill();
        assertThat(pg.isRunning()).isFalse();
        assertThatThrownBy(() -> c.createStatement().executeQuery("SELECT 1"))
            .isInstanceOf(SQLException.class);
      }
      pg.startAgain();
      assertThat(pg.psql("postgres", "SELECT id FROM t")).isEqualTo("7");

      pg.stop(PgCluster.StopMode.FAST);
      assertThat(pg.isRunning()).isFalse();
      pg.startAgain();
      assertThat(pg.isRunning()).isTrue();
    }
  }

  @Test
  void startRestored_copyOfAStoppedDataDirectory_startsWithItsData() throws Exception {
    try (PgCluster source = PgCluster.start()) {
      source.psql("postgres", "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)");
      source.stop(PgCluster.StopMode.FAST);
      Path base = PgCluster.newBaseDir();
      Processes.run(
              List.of("cp", "-a", source.dataDir().toString(), base.resolve("data").toString()),
              Map.of(),
              Duration.ofSeconds(60))
          .checkSuccess();
      Files.deleteIfExists(base.resolve("data/postmaster.pid"));

      try (PgCluster restored = PgCluster.startRestored(base, null)) {
        assertThat(restored.port()).isNotEqualTo(source.port());
        assertThat(restored.psql("postgres", "SELECT id FROM kept")).isEqualTo("7");
      }
      assertThat(base).doesNotExist();
    }
  }

  @Test
  void startRestored_noDataDirectory_failsAndRemovesTheBase() {
    Path base = PgCluster.newBaseDir();

    assertThatThrownBy(() -> PgCluster.startRestored(base, null))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("unable to prepare restored cluster");
    assertThat(base).doesNotExist();
  }

  @Test
  void close_runningCluster_stopsItAndDeletesItsDirectory() {
    PgCluster pg = PgCluster.start();
    Path data = pg.dataDir();
    assertThat(Files.isDirectory(data)).isTrue();
    pg.close();
    assertThat(pg.isRunning()).isFalse();
    assertThat(data.getParent()).doesNotExist();
    pg.close();
  }
}
