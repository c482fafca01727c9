package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.aido.backup.core.cli.JobException;
import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.postgres.Preflight;
import io.aido.backup.testing.FreePort;
import io.aido.backup.testing.PgCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreflightIT {
  private static final String PASSWORD = "Pre-flight-s3cret";
  private static PgCluster pg;

  @BeforeAll
  static void startCluster() {
    pg = PgCluster.builder().superuserPassword(PASSWORD).start();
    pg.createDatabase("todo");
    pg.createDatabase("notes");
  }

  @AfterAll
  static void stopCluster() {
    pg.close();
  }

  private static PgConnection connection(String password) {
    return PgConnection.of(pg.host(), pg.port(), PgCluster.SUPERUSER, password);
  }

  @Test
  void check_validSetup_returnsServerAndPgDumpVersions() throws Exception {
    Preflight.ServerFacts facts =
        Preflight.check(connection(PASSWORD), PgTools.in(pg.binDir()), List.of("todo", "notes"));

    assertThat(facts.serverMajor()).isEqualTo(15);
    assertThat(facts.serverVersion()).startsWith("15.");
    assertThat(facts.pgDump().major()).isEqualTo(15);
  }

  @Test
  void check_unixSocketDirectory_connectsAndDumpsLikeLibpq() throws Exception {
    PgConnection socket =
        PgConnection.of(pg.socketDir().toString(), pg.port(), PgCluster.SUPERUSER, null);

    assertThat(Preflight.check(socket, PgTools.in(pg.binDir()), List.of("todo")).serverMajor())
        .isEqualTo(15);
    try (ConsistentSnapshot snap = ConsistentSnapshot.open(socket, "todo");
        PgDump dump = PgDump.database(socket, PgTools.in(pg.binDir()), "todo", snap.id())) {
      assertThat(dump.stream().readAllBytes())
          .startsWith("PGDMP".getBytes(StandardCharsets.US_ASCII));
    }
  }

  @Test
  void check_missingSocket_exit1UnableToReach(@TempDir Path dir) {
    PgConnection socket = PgConnection.of(dir.toString(), pg.port(), PgCluster.SUPERUSER, null);
    JobException e =
        catchThrowableOfType(
            JobException.class,
            () -> Preflight.check(socket, PgTools.in(pg.binDir()), List.of("todo")));
    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e.getMessage()).contains("unable to reach PostgreSQL server '" + dir);
  }

  @Test
  void check_wrongPassword_exit2WithoutThePassword() {
    JobException e =
        catchThrowableOfType(
            JobException.class,
            () ->
                Preflight.check(
                    connection("wrong-" + PASSWORD), PgTools.in(pg.binDir()), List.of("todo")));

    assertThat(e.exitCode()).isEqualTo(2);
    assertThat(e.getMessage())
        .contains("authentication failed for user 'postgres'")
        .doesNotContain(PASSWORD)
        .doesNotContain("\n");
  }

  @Test
  void check_noPassword_exit2() {
    JobException e =
        catchThrowableOfType(
            JobException.class,
            () -> Preflight.check(connection(null), PgTools.in(pg.binDir()), List.of("todo")));

    assertThat(e.exitCode()).isEqualTo(2);
    assertThat(e.getMessage()).contains("no password");
  }

  @Test
  void check_unknownSecondDatabase_exit2NamingIt() {
    JobException e =
        catchThrowableOfType(
            JobException.class,
            () ->
                Preflight.check(
                    connection(PASSWORD), PgTools.in(pg.binDir()), List.of("todo", "nope")));

    assertThat(e.exitCode()).isEqualTo(2);
    assertThat(e.getMessage()).contains("'nope'").contains("does not exist");
  }

  @Test
  void check_nothingListening_exit1UnableToReach() {
    int closedPort = FreePort.find();
    JobException e =
        catchThrowableOfType(
            JobException.class,
            () ->
                Preflight.check(
                    PgConnection.of("127.0.0.1", closedPort, "postgres", PASSWORD),
                    PgTools.in(pg.binDir()),
                    List.of("todo")));

    assertThat(e.exitCode()).isEqualTo(1);
    assertThat(e.getMessage())
        .startsWith("unable to reach PostgreSQL server '127.0.0.1:" + closedPort + "'")
        .doesNotContain(PASSWORD);
  }

  @Test
  void check_pgDumpOlderThanServer_exit2NamingBothVersions(@TempDir Path dir) throws Exception {
    // No PostgreSQL 14 is installed here; a script that reports version 14 stands in for its
    // pg_dump, since only the version check runs before the refusal.
    Path fake = dir.resolve("pg_dump");
    Files.writeString(fake, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 14.9'\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));

    JobException e =
        catchThrowableOfType(
            JobException.class,
            () -> Preflight.check(connection(PASSWORD), PgTools.in(dir), List.of("todo")));

    assertThat(e.exitCode()).isEqualTo(2);
    assertThat(e.getMessage())
        .contains("pg_dump major version 14")
        .contains("older than the server's 15");
  }
}
