package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Small parts: tool versions, row-count comparison. */
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
}
