package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.postgres.PgConnection;
import io.aido.backup.postgres.PgTools;
import io.aido.backup.testing.PgCluster;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class KilledMidDumpIT {

  @Test
  void dump_serverKilledMidway_streamFailsNamingPgDump() throws Exception {
    try (PgCluster pg = PgCluster.start()) {
      pg.createDatabase("big");
      pg.psql(
          "big",
          "CREATE TABLE blob (id int, payload text);"
              + "INSERT INTO blob SELECT i, repeat(md5(i::text), 16) FROM generate_series(1, 200000) i;");
      PgConnection conn = PgConnection.of(pg.host(), pg.port(), PgCluster.SUPERUSER, null);
      try (ConsistentSnapshot snap = ConsistentSnapshot.open(conn, "big");
          PgDump dump = PgDump.database(conn, PgTools.in(pg.binDir()), "big", snap.id())) {
        InputStream in = dump.stream();
        assertThat(in.readNBytes(1 << 20)).hasSize(1 << 20);

        pg.kill();

        assertThatThrownBy(() -> in.transferTo(java.io.OutputStream.nullOutputStream()))
            .hasMessageContaining("pg_dump of database 'big' exited with code 1");
      }
      pg.startAgain();
      assertThat(pg.psql("big", "SELECT count(*) FROM blob")).isEqualTo("200000");
    }
  }
}
