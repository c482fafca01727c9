package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.Processes;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dump that {@code pg_dump -Fc} wrote to a pipe, copied through {@link CustomDumpOffsets}, is the
 * file {@code pg_dump -Fc -f} writes (but for the header's creation time), and real {@code
 * pg_restore --jobs 2} restores it.
 */
class CustomDumpOffsetsIT {
  private static PgCluster pg;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    pg = PgCluster.start();
    pg.createDatabase("src");
    pg.psql(
        "src",
        "CREATE SCHEMA app;"
            + "CREATE TABLE app.a (id int PRIMARY KEY, body text);"
            + "INSERT INTO app.a SELECT i, md5(i::text) FROM generate_series(1, 20000) i;"
            + "CREATE TABLE app.b (id int PRIMARY KEY, a int REFERENCES app.a, note text);"
            + "INSERT INTO app.b SELECT i, i, repeat('x', i % 50) FROM generate_series(1, 5000) i;"
            + "CREATE TABLE app.empty (id int);"
            + "CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
            + "CREATE VIEW app.v AS SELECT count(*) FROM app.a;"
            + "SELECT lo_from_bytea(0, 'large object bytes');");
  }

  @AfterAll
  static void stop() {
    pg.close();
  }

  private List<String> pgDump(String... extra) {
    List<String> command = new ArrayList<>(List.of(pg.binDir().resolve("pg_dump").toString()));
    command.addAll(List.of("-Fc", "-Z0", "-d", "src"));
    command.addAll(List.of(extra));
    return command;
  }

  private Path patchedPipeDump() throws Exception {
    Path out = dir.resolve("patched.dump");
    ProcessBuilder builder = new ProcessBuilder(pgDump()).redirectError(Redirect.INHERIT);
    builder.environment().putAll(pg.env());
    Process dump = builder.start();
    dump.getOutputStream().close();
    CustomDumpOffsets.Result result;
    try (InputStream in = dump.getInputStream();
        FileChannel file =
            FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      result = CustomDumpOffsets.copy(in, file);
    }
    assertThat(dump.waitFor()).isZero();
    assertThat(result.patched()).isTrue();
    assertThat(result.offsets()).isGreaterThanOrEqualTo(4); // a, b, empty, the large object
    assertThat(result.bytes()).isEqualTo(Files.size(out));
    return out;
  }

  @Test
  void copy_pipeDump_equalsTheDumpWrittenToAFileButForTheCreationTime() throws Exception {
    Path patched = patchedPipeDump();
    Path reference = dir.resolve("reference.dump");
    Processes.run(pgDump("-f", reference.toString()), pg.env(), Duration.ofSeconds(60))
        .checkSuccess();

    byte[] ours = Files.readAllBytes(patched);
    byte[] theirs = Files.readAllBytes(reference);
    assertThat(ours).hasSameSizeAs(theirs);
    List<Integer> differing = new ArrayList<>();
    for (int i = 0; i < ours.length; i++) {
      if (ours[i] != theirs[i]) {
        differing.add(i);
      }
    }
    // The header's seven creation-time ints sit within its first 60 bytes.
    assertThat(differing).allSatisfy(i -> assertThat(i).isLessThan(60));
  }

  @Test
  void copy_pipeDump_restoresWithPgRestoreJobs2() throws Exception {
    Path patched = patchedPipeDump();
    pg.createDatabase("copy");

    Processes.run(
            List.of(
                pg.binDir().resolve("pg_restore").toString(),
                "--exit-on-error",
                "--jobs=2",
                "-d",
                "copy",
                patched.toString()),
            pg.env(),
            Duration.ofSeconds(120))
        .checkSuccess();

    assertThat(pg.psql("copy", "SELECT count(*) FROM app.a")).isEqualTo("20000");
    assertThat(pg.psql("copy", "SELECT count(*) FROM app.b")).isEqualTo("5000");
    assertThat(pg.psql("copy", "SELECT count(*) FROM pg_largeobject_metadata")).isEqualTo("1");
  }

  @Test
  void copy_notACustomDump_copiedUnchangedAndNotPatched() throws Exception {
    byte[] bytes = "PGDMP but then not an archive at all".getBytes();
    Path out = dir.resolve("other");
    CustomDumpOffsets.Result result;
    try (FileChannel file =
        FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      result = CustomDumpOffsets.copy(new java.io.ByteArrayInputStream(bytes), file);
    }
    assertThat(result.patched()).isFalse();
    assertThat(result.bytes()).isEqualTo(bytes.length);
    assertThat(Files.readAllBytes(out)).isEqualTo(bytes);
  }

  @Test
  void copy_dumpCutShort_copiedUnchangedAndNotPatched() throws Exception {
    Path reference = dir.resolve("whole.dump");
    Processes.run(pgDump("-f", reference.toString()), pg.env(), Duration.ofSeconds(60))
        .checkSuccess();
    byte[] cut = java.util.Arrays.copyOf(Files.readAllBytes(reference), 200);
    Path out = dir.resolve("cut");
    CustomDumpOffsets.Result result;
    try (FileChannel file =
        FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      result = CustomDumpOffsets.copy(new java.io.ByteArrayInputStream(cut), file);
    }
    assertThat(result.patched()).isFalse();
    assertThat(Files.readAllBytes(out)).isEqualTo(cut);
  }

  @Test
  void copy_withListener_toldTheTableOfContentsAndEachBlockAsTheyReachTheFile() throws Exception {
    Path reference = dir.resolve("whole.dump");
    Processes.run(pgDump("-f", reference.toString()), pg.env(), Duration.ofSeconds(60))
        .checkSuccess();
    byte[] whole = Files.readAllBytes(reference);
    List<CustomDumpOffsets.TableOfContents> tocs = new ArrayList<>();
    java.util.Map<Integer, long[]> blocks = new java.util.TreeMap<>();
    long[] flushed = {0};
    CustomDumpOffsets.Listener listener =
        new CustomDumpOffsets.Listener() {
          @Override
          public void tableOfContents(CustomDumpOffsets.TableOfContents toc) {
            assertThat(flushed[0]).isEqualTo(toc.end());
            tocs.add(toc);
          }

          @Override
          public void blockStarted(int dumpId, long start) {
            blocks.put(dumpId, new long[] {start, -1});
          }

          @Override
          public void blockEnded(int dumpId, long end) {
            blocks.get(dumpId)[1] = end;
          }

          @Override
          public void flushed(long position) {
            assertThat(position).isGreaterThanOrEqualTo(flushed[0]);
            flushed[0] = position;
          }
        };
    Path out = dir.resolve("told");
    try (FileChannel file =
        FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      CustomDumpOffsets.copy(new java.io.ByteArrayInputStream(whole), file, listener);
    }

    assertThat(flushed[0]).isEqualTo(whole.length);
    assertThat(tocs).hasSize(1);
    CustomDumpOffsets.TableOfContents toc = tocs.get(0);
    assertThat(toc.entries())
        .filteredOn(e -> "TABLE DATA".equals(e.desc()))
        .extracting(CustomDumpOffsets.Entry::tag)
        .containsExactlyInAnyOrder("a", "b", "empty");
    assertThat(toc.entries()).extracting(CustomDumpOffsets.Entry::desc).contains("ENCODING");
    assertThat(toc.entries().get(0).start()).isEqualTo(toc.countAt() + 1 + toc.intSize());
    assertThat(blocks.keySet())
        .containsAll(
            toc.entries().stream()
                .filter(e -> "TABLE DATA".equals(e.desc()))
                .map(CustomDumpOffsets.Entry::dumpId)
                .toList());
    long previousEnd = toc.end();
    for (long[] block :
        blocks.values().stream().sorted((x, y) -> Long.compare(x[0], y[0])).toList()) {
      assertThat(block[0]).isEqualTo(previousEnd);
      assertThat(block[1]).isGreaterThan(block[0]);
      previousEnd = block[1];
    }
    assertThat(previousEnd).isEqualTo(whole.length);
  }

  @Test
  void copy_listenerFails_copyStopsWithItsException() throws Exception {
    Path reference = dir.resolve("whole.dump");
    Processes.run(pgDump("-f", reference.toString()), pg.env(), Duration.ofSeconds(60))
        .checkSuccess();
    CustomDumpOffsets.Listener refusing =
        new CustomDumpOffsets.Listener() {
          @Override
          public void blockStarted(int dumpId, long start) throws java.io.IOException {
            throw new java.io.IOException("stopped, because the restore failed");
          }
        };
    try (FileChannel file =
        FileChannel.open(
            dir.resolve("stopped"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> CustomDumpOffsets.copy(Files.newInputStream(reference), file, refusing))
          .hasMessageContaining("stopped, because the restore failed");
    }
  }
}
