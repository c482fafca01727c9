package io.aido.backup.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgConnectionTest {

  @Test
  void fromEnv_allVariables_childEnvCarriesPasswordButToStringDoesNot() {
    PgConnection pg =
        PgConnection.fromEnv(
            Map.of(
                "PGHOST",
                "db.example",
                "PGPORT",
                "6543",
                "PGUSER",
                "backup",
                "PGPASSWORD",
                "pw-123"));

    assertThat(pg.server()).isEqualTo("db.example:6543");
    assertThat(pg.user()).isEqualTo("backup");
    assertThat(pg.childEnv("todo"))
        .containsEntry("PGHOST", "db.example")
        .containsEntry("PGPORT", "6543")
        .containsEntry("PGUSER", "backup")
        .containsEntry("PGPASSWORD", "pw-123");
    assertThat(pg.toString()).doesNotContain("pw-123").contains("***");
    assertThat(pg.jdbcUrl("todo")).doesNotContain("pw-123");
  }

  @Test
  void fromEnv_badPortAndSocketHost_reportsBothProblems() {
    assertThatThrownBy(
            () -> PgConnection.fromEnv(Map.of("PGHOST", "/var/run/postgresql", "PGPORT", "abc")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PGPORT 'abc' is not a number")
        .hasMessageContaining("unix socket directory");
  }

  @Test
  void fromEnv_passFile_passwordLookedUpPerDatabase(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pgpass");
    Files.writeString(
        file,
        "# comment\n"
            + "h:5432:other:u:wrong\n"
            + "h:5432:todo:u:pa\\:ss\n"
            + "*:*:*:u:fallback\n");

    PgConnection pg =
        PgConnection.fromEnv(Map.of("PGHOST", "h", "PGUSER", "u", "PGPASSFILE", file.toString()));

    assertThat(pg.childEnv("todo")).containsEntry("PGPASSWORD", "pa:ss");
    assertThat(pg.childEnv("notes")).containsEntry("PGPASSWORD", "fallback");
  }

  @Test
  void fromEnv_missingPassFile_failsNamingTheFile(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> PgConnection.fromEnv(Map.of("PGPASSFILE", missing.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void conninfoDbname_quotesAndEscapes() {
    assertThat(PgDump.conninfoDbname("to'do\\x")).isEqualTo("dbname='to\\'do\\\\x'");
    assertThat(PgDump.conninfoDbname("host=evil")).isEqualTo("dbname='host=evil'");
  }
}
