package io.aido.backup.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class RunOptionsTest {

  @Command(name = "t")
  static final class Holder {
    @Mixin RunOptions options;
  }

  private static RunOptions parse(Map<String, String> env, String... args) {
    Holder holder = new Holder();
    CommandLine cl = new CommandLine(holder);
    cl.setDefaultValueProvider(new EnvironmentDefaults(Environment.of(env)));
    cl.parseArgs(args);
    return holder.options;
  }

  private static java.util.List<String> problems(RunOptions options) {
    ConfigProblems problems = new ConfigProblems();
    options.validate(problems);
    return problems.list();
  }

  @Test
  void defaults_jsonNoDebugNoGateway() {
    RunOptions options = parse(Map.of());

    assertThat(options.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(options.debug()).isFalse();
    assertThat(options.pushgateway()).isEmpty();
    assertThat(options.clusterName()).isEmpty();
    assertThat(problems(options)).isEmpty();
  }

  @Test
  void environment_setsEveryOption() {
    RunOptions options =
        parse(
            Map.of(
                "BACKUP_LOG_FORMAT", "TEXT",
                "BACKUP_DEBUG", "true",
                "BACKUP_CLUSTER_NAME", "prod-eu",
                "BACKUP_PUSHGATEWAY_URL", "http://pushgateway.monitoring:9091"));

    assertThat(options.logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(options.debug()).isTrue();
    assertThat(options.clusterName()).contains("prod-eu");
    assertThat(options.pushgateway()).get().hasToString("http://pushgateway.monitoring:9091");
    assertThat(problems(options)).isEmpty();
  }

  @Test
  void validate_badPushgatewayUrls_areProblems() {
    assertThat(problems(parse(Map.of(), "--pushgateway-url", "pushgateway:9091")))
        .singleElement()
        .asString()
        .contains("must start with http:// or https://");
    assertThat(problems(parse(Map.of(), "--pushgateway-url", "http://gw:9091/metrics")))
        .singleElement()
        .asString()
        .contains("must not have a path");
    assertThat(problems(parse(Map.of(), "--pushgateway-url", "http://u:pw@gw:9091")))
        .singleElement()
        .asString()
        .contains("must not contain credentials")
        .doesNotContain("pw@");
  }

  @Test
  void variable_followsTheOptionName() {
    assertThat(EnvironmentDefaults.variable("--storage-url")).isEqualTo("BACKUP_STORAGE_URL");
    assertThat(EnvironmentDefaults.describe("--kek-uri")).isEqualTo("--kek-uri (BACKUP_KEK_URI)");
  }
}
