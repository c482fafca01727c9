package io.aido.backup.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.Environment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgConnectionTest {

  @Test
  void fromEnv_allVariables_childEnvCarriesPasswordButToStringDoesNot() {
    PgConnection pg =
        fromEnv(
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
  void fromEnv_badPort_reportedAsProblem() {
    ConfigProblems problems = new ConfigProblems();
    PgConnection.fromEnv(Environment.of(Map.of("PGPORT", "abc")), problems);
    assertThat(problems.list()).containsExactly("PGPORT: 'abc' is not a number");
  }

  @Test
  void fromEnv_socketDirectory_readLikeLibpq() {
    PgConnection pg = fromEnv(Map.of("PGHOST", "/run/pg", "PGPORT", "5433"));
    assertThat(pg.isSocketDir()).isTrue();
    assertThat(pg.server()).isEqualTo("/run/pg/.s.PGSQL.5433");
    assertThat(pg.childEnv("todo")).containsEntry("PGHOST", "/run/pg");
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

    PgConnection pg = fromEnv(Map.of("PGHOST", "h", "PGUSER", "u", "PGPASSFILE", file.toString()));

    assertThat(pg.childEnv("todo")).containsEntry("PGPASSWORD", "pa:ss");
    assertThat(pg.childEnv("notes")).containsEntry("PGPASSWORD", "fallback");
  }

  @Test
  void fromEnv_missingPassFile_failsNamingTheFile(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    ConfigProblems problems = new ConfigProblems();
    PgConnection.fromEnv(Environment.of(Map.of("PGPASSFILE", missing.toString())), problems);
    assertThat(problems.list())
        .containsExactly("PGPASSFILE: password file '" + missing + "' does not exist");
  }

  @Test
  void fromEnv_passwordFromFile_readLikeAKubernetesSecret(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("pgpassword");
    Files.writeString(secret, "from-file-pw\n");
    PgConnection pg = fromEnv(Map.of("PGPASSWORD_FILE", secret.toString()));
    assertThat(pg.childEnv("todo")).containsEntry("PGPASSWORD", "from-file-pw");
  }

  private static PgConnection fromEnv(Map<String, String> env) {
    ConfigProblems problems = new ConfigProblems();
    PgConnection pg = PgConnection.fromEnv(Environment.of(env), problems);
    assertThat(problems.list()).isEmpty();
    return pg;
  }

  @Test
  void conninfoDbname_quotesAndEscapes() {
    assertThat(PgConnection.conninfoDbname("to'do\\x")).isEqualTo("dbname='to\\'do\\\\x'");
    assertThat(PgConnection.conninfoDbname("host=evil")).isEqualTo("dbname='host=evil'");
  }
}
