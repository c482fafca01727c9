package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Small parts: tool versions, row-count comparison, progress. */
class SmallPartsTest {

  @Test
  void toolVersion_debianPgDump_parsesMajor() {
    var v = PgTools.ToolVersion.parse("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n");
    assertThat(v).isPresent();
    assertThat(v.get().major()).isEqualTo(15);
    assertThat(v.get().text()).startsWith("pg_dump (PostgreSQL) 15.14");
  }

  @Test
  void toolVersion_garbage_isEmpty() {
    assertThat(PgTools.ToolVersion.parse("command not found")).isEmpty();
  }

  @Test
  void rowCountComparison_equalMaps_match() {
    var cmp = RowCountComparison.of(Map.of("a.t", 3L), Map.of("a.t", 3L));
    assertThat(cmp.matches()).isTrue();
    assertThat(cmp.format()).contains("a.t").doesNotContain("DIFFERS");
  }

  @Test
  void rowCountComparison_differentOrMissingTables_differ() {
    var cmp =
        RowCountComparison.of(Map.of("a.t", 3L, "a.gone", 1L), Map.of("a.t", 4L, "a.new", 0L));
    assertThat(cmp.matches()).isFalse();
    assertThat(cmp.differences())
        .extracting(RowCountComparison.Row::table)
        .containsExactly("a.gone", "a.new", "a.t");
    assertThat(cmp.format()).contains("DIFFERS");
  }

  @Test
  void progress_countsBytesAndDescribesRate() throws Exception {
    AtomicLong now = new AtomicLong();
    InputStream data = new ByteArrayInputStream(new byte[3 * 1024 * 1024]);
    Progress p = new Progress(data, "test", now::get, 1_000_000_000L);
    byte[] buf = new byte[1024 * 1024];
    while (p.read(buf) >= 0) {
      now.addAndGet(1_000_000_000L);
    }
    assertThat(p.bytes()).isEqualTo(3L * 1024 * 1024);
    assertThat(p.describe(3_000_000_000L)).isEqualTo("3.0 MiB in 3.0 s (1.0 MiB/s)");
  }

  @Test
  void human_units() {
    assertThat(Progress.human(512)).isEqualTo("512 B");
    assertThat(Progress.human(1536)).isEqualTo("1.5 KiB");
    assertThat(Progress.human(5L << 30)).isEqualTo("5.0 GiB");
  }
}
