package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.testing.PgCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Preflight} against a real PostgreSQL 15: each check passes, and each refuses alone. */
class PreflightIT {
  private static PgCluster cluster;
  private static PgConnection pg;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    cluster = PgCluster.builder().superuserPassword("Preflight-pw").start();
    pg = PgConnection.of(cluster.host(), cluster.port(), PgCluster.SUPERUSER, "Preflight-pw");
    cluster.createDatabase("todo");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static PgTools tools() {
    return PgTools.in(cluster.binDir());
  }

  @Test
  void check_reachableServerAndDatabases_reportsVersionsOfServerAndPgDump() throws Exception {
    Preflight.ServerFacts facts = Preflight.check(pg, tools(), List.of("todo", "postgres"));

    assertThat(facts.serverMajor()).isEqualTo(15);
    assertThat(facts.serverVersion()).startsWith("15.");
    assertThat(facts.pgDump().major()).isGreaterThanOrEqualTo(15);
  }

  @Test
  void check_noDatabase_usage() {
    assertThatThrownBy(() -> Preflight.check(pg, tools(), List.of()))
        .isInstanceOf(JobException.class)
        .hasMessageContaining("no database to back up");
  }

  @Test
  void check_secondDatabaseMissing_refusedNamingIt() {
    assertThatThrownBy(() -> Preflight.check(pg, tools(), List.of("todo", "nowhere")))
        .isInstanceOf(JobException.class)
        .hasMessageContaining("nowhere")
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void check_wrongPassword_usageWithoutThePassword() {
    PgConnection wrong =
        PgConnection.of(cluster.host(), cluster.port(), PgCluster.SUPERUSER, "not-the-pw");

    assertThatThrownBy(() -> Preflight.check(wrong, tools(), List.of("todo")))
        .isInstanceOf(JobException.class)
        .hasMessageNotContaining("not-the-pw")
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void check_pgDumpOlderThanTheServer_refusedNamingBothVersions() throws Exception {
    Path bin = Files.createDirectory(dir.resolve("bin"));
    Path fake = bin.resolve("pg_dump");
    Files.writeString(fake, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.9'\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertThatThrownBy(() -> Preflight.check(pg, PgTools.in(bin), List.of("todo")))
        .isInstanceOf(JobException.class)
        .hasMessageContaining("pg_dump major version 12 (pg_dump (PostgreSQL) 12.9) is older")
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void check_unreachableServer_failure() {
    PgConnection nowhere = PgConnection.of("127.0.0.1", 1, PgCluster.SUPERUSER, "x");

    assertThatThrownBy(() -> Preflight.check(nowhere, tools(), List.of("todo")))
        .isInstanceOf(JobException.class)
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.FAILED);
  }
}
