package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PgRestore} against a real PostgreSQL 15 with the real pg_dump and pg_restore: a dump
 * restores and counts the same rows; every refusal of the target, and a dump that breaks off, leave
 * nothing behind.
 */
class PgRestoreIT {
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
    cluster.createDatabase("todo");
    cluster.psql(
        "todo",
        "CREATE TABLE items(id int PRIMARY KEY, title text);"
            + " INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g;"
            + " CREATE TABLE tags(name text);");
    ProcessBuilder dumper =
        new ProcessBuilder(tools.command("pg_dump"), "-Fc", "--no-password", "--dbname=todo")
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    dumper.environment().putAll(cluster.env());
    Process p = dumper.start();
    try (InputStream in = p.getInputStream()) {
      dump = in.readAllBytes();
    }
    assertThat(p.waitFor()).isZero();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static Set<String> databases() {
    return Set.of(
        cluster.psql("postgres", "SELECT string_agg(datname, ',') FROM pg_database").split(","));
  }

  @Test
  void restore_intoCreatedDatabase_everyRowArrives() throws Exception {
    boolean created = PgRestore.prepareTarget(pg, "restored_ok", CREATE, List.of());

    long bytes =
        PgRestore.restore(
            pg, tools, new ByteArrayInputStream(dump), "restored_ok", CREATE, created);

    assertThat(created).isTrue();
    assertThat(bytes).isEqualTo(dump.length);
    assertThat(PgRestore.countRows(pg, "restored_ok"))
        .containsExactly(Map.entry("public.items", 500L), Map.entry("public.tags", 0L));
  }

  @Test
  void restore_dumpBreaksOff_createdDatabaseDroppedAndMessageSaysNothingRestored() {
    InputStream broken =
        new SequenceInputStream(
            new ByteArrayInputStream(dump, 0, dump.length / 2),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("connection reset by the store");
              }
            });

    assertThatThrownBy(
            () -> {
              boolean created = PgRestore.prepareTarget(pg, "restored_broken", CREATE, List.of());
              PgRestore.restore(pg, tools, broken, "restored_broken", CREATE, created);
            })
        .isInstanceOf(JobException.class)
        .hasMessageContaining("reading the backup failed: connection reset by the store")
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.FAILED);
    assertThat(databases()).doesNotContain("restored_broken");
  }

  @Test
  void restore_garbageDump_pgRestoreFailureNamedAndDatabaseDropped() {
    assertThatThrownBy(
            () -> {
              boolean created = PgRestore.prepareTarget(pg, "restored_garbage", CREATE, List.of());
              PgRestore.restore(
                  pg,
                  tools,
                  new ByteArrayInputStream("not a dump".getBytes()),
                  "restored_garbage",
                  CREATE,
                  created);
            })
        .isInstanceOf(JobException.class)
        .hasMessageContaining("pg_restore into database 'restored_garbage'")
        .hasMessageContaining("exited with code 1");
    assertThat(databases()).doesNotContain("restored_garbage");
  }

  @Test
  void prepareTarget_existingWithCreate_orMissingWithout_refusedAsUsage() {
    assertThatThrownBy(() -> PgRestore.prepareTarget(pg, "todo", CREATE, List.of()))
        .isInstanceOf(JobException.class)
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.USAGE);
    assertThatThrownBy(
            () ->
                PgRestore.prepareTarget(
                    pg, "nowhere", new PgRestore.Options(false, false, true), List.of()))
        .hasMessage(
            "unable to restore into missing database 'nowhere' on server '"
                + pg.server()
                + "': it does not exist; pass --create to create it");
  }

  @Test
  void prepareTarget_holdsTablesWithoutClean_refusedNamingTheCount() {
    assertThatThrownBy(
            () ->
                PgRestore.prepareTarget(
                    pg, "todo", new PgRestore.Options(false, false, true), List.of()))
        .hasMessageContaining("it already holds 2 table(s); pass --clean");
  }

  @Test
  void prepareTarget_ownerRoleMissing_refusedAndCreatedDatabaseDroppedAgain() {
    assertThatThrownBy(
            () ->
                PgRestore.prepareTarget(
                    pg,
                    "restored_owner",
                    new PgRestore.Options(false, true, false),
                    List.of("postgres", "todo_app")))
        .hasMessageContaining("role(s) todo_app own objects in the backup but do not exist there")
        .extracting(e -> ((JobException) e).exitCode())
        .isEqualTo(ExitCodes.USAGE);
    assertThat(databases()).doesNotContain("restored_owner");
  }

  @Test
  void restoreFile_parallelJobs_everyRowArrives() throws Exception {
    Path file = dir.resolve("todo.dump");
    Files.write(file, dump);
    boolean created = PgRestore.prepareTarget(pg, "restored_jobs", CREATE, List.of());

    PgRestore.restoreFile(pg, tools, file, "restored_jobs", CREATE, 2, created);

    assertThat(PgRestore.countRows(pg, "restored_jobs")).containsEntry("public.items", 500L);
  }

  @Test
  void countRows_missingDatabase_failsNamingIt() {
    assertThatThrownBy(() -> PgRestore.countRows(pg, "nowhere"))
        .isInstanceOf(JobException.class)
        .hasMessageContaining("unable to count rows in database 'nowhere'");
  }
}
