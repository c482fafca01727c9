package io.aido.backup.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.core.catalog.BackupId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class BackupIdOptionsTest {

  @Command(name = "restore")
  static final class Holder {
    @Mixin BackupIdOptions backupId;
  }

  private static CommandLine commandLine(Map<String, String> env) {
    CommandLine cl = new CommandLine(new Holder());
    cl.setDefaultValueProvider(new EnvironmentDefaults(Environment.of(env)));
    return cl;
  }

  private static BackupIdOptions parse(Map<String, String> env, String... args) {
    CommandLine cl = commandLine(env);
    cl.parseArgs(args);
    return ((Holder) cl.getCommand()).backupId;
  }

  private static List<String> problems(BackupIdOptions options) {
    ConfigProblems problems = new ConfigProblems();
    options.validate(problems);
    return problems.list();
  }

  @Test
  void anId_isThatBackup() {
    BackupIdOptions options = parse(Map.of(), "--backup-id", "20261124T020000Z-a1b2c3");

    assertThat(problems(options)).isEmpty();
    assertThat(options.latest()).isFalse();
    assertThat(options.id()).isEqualTo(new BackupId("20261124T020000Z-a1b2c3"));
    assertThat(options.value()).isEqualTo("20261124T020000Z-a1b2c3");
  }

  @Test
  void latestFromTheEnvironment_isLatestAndNamesNoId() {
    BackupIdOptions options = parse(Map.of("BACKUP_BACKUP_ID", "latest"));

    assertThat(problems(options)).isEmpty();
    assertThat(options.latest()).isTrue();
    assertThat(options.value()).isEqualTo("latest");
    assertThatThrownBy(options::id).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void notSet_isAProblemNamingOptionAndVariable() {
    assertThat(problems(parse(Map.of())))
        .singleElement()
        .asString()
        .contains("--backup-id")
        .contains("BACKUP_BACKUP_ID")
        .contains("not set (a backup id, or latest)");
  }

  @Test
  void neitherLatestNorAnId_isAProblem() {
    assertThat(problems(parse(Map.of(), "--backup-id", "yesterday")))
        .singleElement()
        .asString()
        .contains("'yesterday' is neither latest nor a backup id like 20261124T020000Z-a1b2c3");
  }

  @Test
  void help_namesTheCommand() {
    assertThat(commandLine(Map.of()).getUsageMessage())
        .contains("--backup-id=ID|latest")
        .contains("The backup to restore (like 20261124T020000Z-a1b2c3), or latest.");
  }
}
