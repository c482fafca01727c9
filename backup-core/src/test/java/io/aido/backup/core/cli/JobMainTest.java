package io.aido.backup.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aido.backup.core.config.Secret;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.testing.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class JobMainTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private Map<String, String> goodEnv() throws Exception {
    Path keyset = dir.resolve("kek.json");
    if (!Files.exists(keyset)) {
      KeyEncryptionKeys.generateKeysetFile(keyset);
    }
    return Map.of(
        "BACKUP_STORAGE_URL", dir.resolve("repo").toUri().toString(),
        "BACKUP_KEK_URI", keyset.toString());
  }

  private static Map<String, String> with(Map<String, String> env, String... pairs) {
    Map<String, String> m = new java.util.HashMap<>(env);
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  @Test
  void execute_goodConfigFromEnvironment_exitsZero() throws Exception {
    CommandRun run = CommandRun.of(new TestJob()::execute, goodEnv(), "work");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(run.out()).contains("work done");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void execute_optionWithTwoNames_eachNamesVariableSetsIt() throws Exception {
    CommandRun longest =
        CommandRun.of(new TestJob()::execute, with(goodEnv(), "BACKUP_LABELS", "a,b"), "labelled");
    CommandRun other =
        CommandRun.of(new TestJob()::execute, with(goodEnv(), "BACKUP_LABEL", "c"), "labelled");

    assertThat(longest.out()).as(longest.err()).contains("labels a,b");
    assertThat(other.out()).as(other.err()).contains("labels c");
    assertThat(CommandRun.of(new TestJob()::execute, goodEnv(), "labelled", "--help").out())
        .contains("BACKUP_LABELS or BACKUP_LABEL");
  }

  @Test
  void execute_variableThatMatchesNoOption_exitsTwoNamingItAndTheLikelyOneNothingRun()
      throws Exception {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            with(goodEnv(), "BACKUP_OUTCOMEE", "secret-looking-value", "BACKUP_ZZZ", "x"),
            "work");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.out()).doesNotContain("work done");
    assertThat(run.err())
        .contains("BACKUP_OUTCOMEE is set but is no option of test-job")
        .contains("did you mean BACKUP_OUTCOME?")
        .contains("BACKUP_ZZZ is set")
        .doesNotContain("secret-looking-value")
        .doesNotContain("Exception");
    assertThat(Files.exists(dir.resolve("repo"))).isFalse();
  }

  @Test
  void execute_kubernetesServiceLinksAndActor_areNotMistakenForOptions() throws Exception {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            with(
                goodEnv(),
                "BACKUP_PUSHGATEWAY_SERVICE_HOST",
                "10.0.0.1",
                "BACKUP_PUSHGATEWAY_SERVICE_PORT",
                "9091",
                "BACKUP_PUSHGATEWAY_PORT",
                "tcp://10.0.0.1:9091",
                "BACKUP_PUSHGATEWAY_PORT_9091_TCP_ADDR",
                "10.0.0.1",
                "BACKUP_ACTOR",
                "alice"),
            "work");

    assertThat(run.code()).as(run.err()).isEqualTo(ExitCodes.DONE);
  }

  @Test
  void duration_iso8601_parsedWhateverTheCase() {
    assertThat(JobMain.duration("PT10S")).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(JobMain.duration(" pt2m ")).isEqualTo(java.time.Duration.ofMinutes(2));
    assertThat(JobMain.duration("P1D")).isEqualTo(java.time.Duration.ofDays(1));
  }

  @Test
  void duration_word_failsInWordsWithoutAJavaException() {
    assertThatThrownBy(() -> JobMain.duration("often"))
        .isInstanceOf(picocli.CommandLine.TypeConversionException.class)
        .hasMessage("'often' is not a duration (ISO-8601, like PT10S, PT5M, PT24H or P1D)");
  }

  @Test
  void help_withAnUnknownVariable_stillPrintsHelp() throws Exception {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, with(goodEnv(), "BACKUP_TYPO", "x"), "work", "--help");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    assertThat(run.out()).contains("--outcome");
  }

  @Test
  void execute_severalBadSettings_exitsTwoWithOneMessageListingEveryProblem() throws Exception {
    Path garbage = dir.resolve("not-a-keyset.json");
    Files.writeString(garbage, "{\"primaryKeyId\": 1, \"key\": \"SUPERSECRETKEYBYTES\"}");
    Map<String, String> env =
        Map.of(
            "BACKUP_STORAGE_URL", "ftp://backups.example.com/x",
            "BACKUP_KEK_URI", garbage.toString(),
            "BACKUP_LOG_FORMAT", "xml");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, env, "work", "--no-such-option", "--pushgateway-url=gw:9091");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .startsWith("error: configuration has 5 problems:\n")
        .contains("unknown option '--no-such-option'")
        .contains("--storage-url (BACKUP_STORAGE_URL): 'ftp://backups.example.com/x'")
        .contains("--kek-uri (BACKUP_KEK_URI): keyset file '" + garbage + "' is not a usable")
        .contains("--log-format (BACKUP_LOG_FORMAT): 'xml' is not a log format")
        .contains("--pushgateway-url (BACKUP_PUSHGATEWAY_URL):");
    assertThat(run.err().lines().filter(l -> l.startsWith("error:"))).hasSize(1);
    assertThat(run.all()).doesNotContain("SUPERSECRETKEYBYTES").doesNotContain("at io.aido");
    assertThat(run.out()).doesNotContain("work done");
  }

  @Test
  void execute_secretPutIntoASetting_isMaskedInTheProblem() throws Exception {
    String secret = "hunter2-setting-" + System.nanoTime();
    Map<String, String> env = with(goodEnv(), "TEST_PASSWORD", secret, "BACKUP_LOG_FORMAT", secret);

    CommandRun run = CommandRun.of(new TestJob()::execute, env, "work", "--cluster-name", "x");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--log-format (BACKUP_LOG_FORMAT): '***' is not a log format");
    assertThat(run.all()).doesNotContain(secret);
  }

  @Test
  void commandLine_secretTypedOption_isRefusedAtStartup() {
    assertThatThrownBy(() -> new SecretOptionJob().commandLine(JobContext.system()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--password");
  }

  @Command(
      name = "bad-job",
      subcommands = {SecretOptionJob.Login.class})
  static final class SecretOptionJob extends JobMain {
    @Command(name = "login")
    static final class Login extends JobCommand {
      @Option(names = "--password")
      Secret password;

      @Override
      protected int run() {
        return ExitCodes.DONE;
      }
    }
  }

  @Test
  void execute_unknownOptionsBeforeTheCommand_areReportedToo() throws Exception {
    CommandRun run = CommandRun.of(new TestJob()::execute, goodEnv(), "--bogus", "work", "--other");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("configuration has 2 problems:")
        .contains("unknown option '--bogus' (see 'test-job --help')")
        .contains("unknown option '--other' (see 'test-job work --help')");
  }

  @Test
  void execute_missingSettings_namesEachSettingAndItsVariable() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "work");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("configuration has 2 problems:")
        .contains("--storage-url (BACKUP_STORAGE_URL): not set")
        .contains("--kek-uri (BACKUP_KEK_URI): not set");
  }

  @Test
  void execute_missingKeysetFile_reportsItDoesNotExist() throws Exception {
    Map<String, String> env = with(goodEnv(), "BACKUP_KEK_URI", "file:///nonexistent/kek.json");

    CommandRun run = CommandRun.of(new TestJob()::execute, env, "work");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("configuration has 1 problem:")
        .contains("keyset file '/nonexistent/kek.json' does not exist");
  }

  @Test
  void execute_flagGiven_winsOverEnvironment() throws Exception {
    Map<String, String> env = with(goodEnv(), "BACKUP_STORAGE_URL", "ftp://wrong");

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            env,
            "work",
            "--storage-url",
            dir.resolve("r").toUri().toString());

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
  }

  @Test
  void execute_secretInEnvironmentAndFailure_neverPrintedInMessagesOrJsonLogs() throws Exception {
    String secret = "hunter2-json-" + System.nanoTime();
    Map<String, String> env = with(goodEnv(), "TEST_PASSWORD", secret);

    CommandRun run =
        CommandRun.of(new TestJob()::execute, env, "work", "--outcome", "failed", "--debug");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err()).contains("error: unable to connect as user with password ***");
    assertThat(run.all()).doesNotContain(secret);
    List<JsonNode> lines = jsonLines(run.out());
    assertThat(lines)
        .extracting(l -> l.get("message").asText())
        .contains(
            "connecting with password *** to "
                + dir.resolve("repo").toUri().toString().replaceAll("/$", ""),
            "password in the message: ***");
    assertThat(lines.get(0).get("credential").asText()).isEqualTo("***");
    JsonNode error = lines.get(lines.size() - 1);
    assertThat(error.get("severity").asText()).isEqualTo("ERROR");
    assertThat(error.get("stack_trace").asText()).contains("IOException").contains("***");
  }

  @Test
  void execute_secretFromFileWithTextLogs_neverPrinted() throws Exception {
    String secret = "hunter2-text-" + System.nanoTime();
    Path file = dir.resolve("password");
    Files.writeString(file, secret + "\n");
    Map<String, String> env = with(goodEnv(), "TEST_PASSWORD_FILE", file.toString());

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            env,
            "--log-format",
            "text",
            "work",
            "--outcome",
            "failed",
            "--debug");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .contains("INFO    connecting with password *** to")
        .contains("WARNING password in the message: ***")
        .contains("credential=***")
        .contains("java.io.IOException: unable to connect as user with password ***");
    assertThat(run.all()).doesNotContain(secret);
    assertThat(run.out()).isEmpty();
  }

  @Test
  void execute_jsonLogLine_hasTimeSeverityMessageAndMdc() throws Exception {
    CommandRun run = CommandRun.of(new TestJob()::execute, goodEnv(), "work");

    JsonNode line = jsonLines(run.out()).get(0);
    assertThat(line.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*Z");
    assertThat(line.get("severity").asText()).isEqualTo("INFO");
    assertThat(line.get("message").asText()).startsWith("connecting with password none");
    assertThat(line.get("job").asText()).isEqualTo("test-job");
    assertThat(line.get("backup_id").asText()).isEqualTo("20261124T020000Z-a1b2c3");
    assertThat(line.has("level")).isFalse();
    assertThat(line.has("@timestamp")).isFalse();
    assertThat(jsonLines(run.out()).get(1).get("severity").asText()).isEqualTo("WARNING");
  }

  @Test
  void execute_failureWithoutDebug_oneLineAndNoStackTrace() throws Exception {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, goodEnv(), "--log-format=text", "work", "--outcome=failed");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    List<String> errorLines = run.err().lines().filter(l -> !l.matches("^\\d{4}-.*")).toList();
    assertThat(errorLines).containsExactly("error: unable to connect as user with password none");
  }

  @Test
  void execute_failureWithDebugFromEnvironment_printsStackTrace() throws Exception {
    Map<String, String> env = with(goodEnv(), "BACKUP_DEBUG", "true", "BACKUP_LOG_FORMAT", "text");

    CommandRun run = CommandRun.of(new TestJob()::execute, env, "work", "--outcome=failed");

    assertThat(run.err()).contains("\tat io.aido.backup.core.cli.TestJob$Work.run");
  }

  @Test
  void execute_bugWithoutMessage_namesTheTypeAndSuggestsDebug() throws Exception {
    CommandRun run =
        CommandRun.of(
            new TestJob()::execute, goodEnv(), "--log-format=text", "work", "--outcome=bug");

    assertThat(run.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .contains("error: NullPointerException\nRun with --debug")
        .doesNotContain("\tat ");
  }

  @Test
  void execute_verificationFailed_exitsThree() throws Exception {
    CommandRun run =
        CommandRun.of(new TestJob()::execute, goodEnv(), "work", "--outcome=bad-backup");

    assertThat(run.code()).isEqualTo(ExitCodes.VERIFICATION_FAILED);
    assertThat(run.err())
        .contains("error: verification failed: backup 20261124T020000Z-a1b2c3 part 0");
  }

  @Test
  void execute_unknownCommand_exitsTwoNamingIt() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "wrok");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .startsWith(
            "error: unknown command or option 'wrok' (commands: catalog, keyset, rewrap, work,")
        .contains("Run 'test-job --help' for usage.");
  }

  @Test
  void execute_noCommand_exitsTwo() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of());

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).startsWith("error: a command is required");
  }

  @Test
  void execute_optionWithoutValue_exitsTwo() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "work", "--storage-url");

    assertThat(run.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .startsWith("error: Missing required parameter for option '--storage-url'");
  }

  @Test
  void audit_recordsTheJobAndActorInTheRepository() throws Exception {
    String url = "memory://audit-" + System.nanoTime();

    CommandRun run =
        CommandRun.of(
            new TestJob()::execute,
            Map.of("BACKUP_STORAGE_URL", url, "BACKUP_ACTOR", "ops:alice"),
            "audited");

    assertThat(run.code()).isEqualTo(ExitCodes.DONE);
    var events = BlobStores.open(url).list("audit/");
    assertThat(events).hasSize(1);
    try (var in = BlobStores.open(url).open(events.get(0).key())) {
      JsonNode event = JSON.readTree(in);
      assertThat(event.get("job").asText()).isEqualTo("test-job");
      assertThat(event.get("actor").asText()).isEqualTo("ops:alice");
      assertThat(event.get("action").asText()).isEqualTo("read");
    }
  }

  @Test
  void help_listsCommandsEnvironmentAndExitCodes() {
    CommandRun top = CommandRun.of(new TestJob()::execute, Map.of(), "--help");
    CommandRun sub = CommandRun.of(new TestJob()::execute, Map.of(), "work", "--help");

    assertThat(top.code()).isZero();
    assertThat(top.out())
        .contains("Usage: test-job")
        .contains("catalog", "keyset", "work")
        .contains("Exit codes:")
        .contains("BACKUP_LOG_FORMAT");
    assertThat(sub.code()).isZero();
    assertThat(sub.out())
        .contains("Usage: test-job work")
        .contains("BACKUP_STORAGE_URL      --storage-url")
        .contains("BACKUP_KEK_URI          --kek-uri");
  }

  @Test
  void version_fromClassesIsDev() {
    CommandRun run = CommandRun.of(new TestJob()::execute, Map.of(), "--version");

    assertThat(run.code()).isZero();
    assertThat(run.out().trim()).isEqualTo("test-job dev");
  }

  static List<JsonNode> jsonLines(String out) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.lines().toList()) {
      if (line.startsWith("{")) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }
}
