package io.aido.backup.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class CompressionOptionsTest {

  @Command(name = "t")
  static final class Holder {
    @Mixin CompressionOptions options;
  }

  private static CompressionOptions parse(Map<String, String> env, String... args) {
    Holder holder = new Holder();
    CommandLine cl = new CommandLine(holder);
    cl.setDefaultValueProvider(new EnvironmentDefaults(Environment.of(env)));
    cl.parseArgs(args);
    return holder.options;
  }

  private static List<String> problems(CompressionOptions options) {
    ConfigProblems problems = new ConfigProblems();
    options.validate(problems);
    return problems.list();
  }

  @Test
  void default_isLevelOneWithThePipelinesOtherDefaults() {
    CompressionOptions options = parse(Map.of());

    assertThat(options.pipelineSettings().compressionLevel()).isEqualTo(1);
    assertThat(options.pipelineSettings().chunkSize())
        .isEqualTo(io.aido.backup.core.pipeline.PipelineSettings.defaults().chunkSize());
    assertThat(problems(options)).isEmpty();
  }

  @Test
  void environmentAndOption_setTheLevel() {
    assertThat(parse(Map.of("BACKUP_COMPRESSION_LEVEL", "9")).pipelineSettings().compressionLevel())
        .isEqualTo(9);
    assertThat(
            parse(Map.of("BACKUP_COMPRESSION_LEVEL", "9"), "--compression-level", "3")
                .pipelineSettings()
                .compressionLevel())
        .isEqualTo(3);
  }

  @Test
  void outOfRange_isAProblemNamingOptionAndVariable() {
    assertThat(problems(parse(Map.of(), "--compression-level", "0")))
        .singleElement()
        .asString()
        .contains("--compression-level")
        .contains("BACKUP_COMPRESSION_LEVEL")
        .contains("must be 1 to 19, not 0");
    assertThat(problems(parse(Map.of(), "--compression-level", "20"))).hasSize(1);
  }
}
