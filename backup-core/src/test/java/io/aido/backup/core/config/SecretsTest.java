package io.aido.backup.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
  @TempDir Path dir;

  @Test
  void fromEnvironment_variable_givesSecretThatPrintsMasked() {
    String value = "pw-env-" + System.nanoTime();
    ConfigProblems problems = new ConfigProblems();

    Optional<Secret> secret =
        Secrets.fromEnvironment(
            Environment.of(Map.of("PGPASSWORD", value)), "PGPASSWORD", problems);

    assertThat(secret).get().extracting(Secret::reveal).isEqualTo(value);
    assertThat(secret.get()).hasToString("***");
    assertThat(Redaction.redact("x " + value + " y")).isEqualTo("x *** y");
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void fromEnvironment_file_dropsOneTrailingLineBreak() throws Exception {
    Path file = dir.resolve("pw");
    Files.writeString(file, "pw-file-line\r\n");

    Optional<Secret> secret =
        Secrets.fromEnvironment(
            Environment.of(Map.of("PGPASSWORD_FILE", file.toString())),
            "PGPASSWORD",
            new ConfigProblems());

    assertThat(secret).get().extracting(Secret::reveal).isEqualTo("pw-file-line");
  }

  @Test
  void fromEnvironment_neitherSet_isEmptyWithoutProblem() {
    ConfigProblems problems = new ConfigProblems();

    assertThat(Secrets.fromEnvironment(Environment.of(Map.of()), "PGPASSWORD", problems)).isEmpty();
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void fromEnvironment_missingFile_reportsWithoutValue() {
    ConfigProblems problems = new ConfigProblems();

    Optional<Secret> secret =
        Secrets.fromEnvironment(
            Environment.of(Map.of("PGPASSWORD_FILE", dir.resolve("nope").toString())),
            "PGPASSWORD",
            problems);

    assertThat(secret).isEmpty();
    assertThat(problems.list())
        .containsExactly(
            "PGPASSWORD_FILE: unable to read file '" + dir.resolve("nope") + "': no such file");
  }

  @Test
  void fromEnvironment_emptyOrOversizedFile_isAProblem() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    Path big = Files.write(dir.resolve("big"), new byte[Secrets.MAX_FILE_BYTES + 1]);
    ConfigProblems problems = new ConfigProblems();

    Secrets.fromEnvironment(Environment.of(Map.of("A_FILE", empty.toString())), "A", problems);
    Secrets.fromEnvironment(Environment.of(Map.of("B_FILE", big.toString())), "B", problems);

    assertThat(problems.list())
        .containsExactly(
            "A_FILE: file '" + empty + "' is empty",
            "B_FILE: unable to read file '" + big + "': larger than 65536 bytes");
  }

  @Test
  void fromEnvironment_bothSet_isAProblemThatHidesTheValue() throws Exception {
    String value = "pw-both-" + System.nanoTime();
    Path file = Files.writeString(dir.resolve("pw"), "other");
    ConfigProblems problems = new ConfigProblems();

    Secrets.fromEnvironment(
        Environment.of(Map.of("PGPASSWORD", value, "PGPASSWORD_FILE", file.toString())),
        "PGPASSWORD",
        problems);

    assertThat(problems.list())
        .containsExactly("PGPASSWORD: set either PGPASSWORD or PGPASSWORD_FILE, not both");
  }

  @Test
  void of_empty_isRefused() {
    assertThatThrownBy(() -> Secret.of("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void configProblems_messageMentioningASecret_isRedacted() {
    Secret secret = Secret.of("pw-problem-" + System.nanoTime());
    ConfigProblems problems = new ConfigProblems();
    problems.add("--x (BACKUP_X)", "value '" + secret.reveal() + "' is wrong");

    assertThatThrownBy(problems::throwIfAny)
        .isInstanceOf(ConfigurationException.class)
        .hasMessage("configuration has 1 problem:\n  - --x (BACKUP_X): value '***' is wrong");
  }
}
