package io.aido.backup.core.config;

import io.aido.backup.core.pipeline.PipelineSettings;
import picocli.CommandLine.Option;

/**
 * How hard the commands that write backups compress: a picocli mixin of {@code backup}, {@code
 * base-backup}, {@code wal-archive}, {@code snapshot} and {@code export}. Reading needs no setting
 * (zstd frames say how to read them).
 *
 * <p>The default, level 1, was chosen by measurement (docs/benchmarks.md): on the reference
 * database dump it stored 3 % less than level 3 and took 11 to 18 % less time end to end on two
 * cores.
 *
 * <pre>{@code
 * @Mixin CompressionOptions compression;
 * Pipeline pipeline = new Pipeline(compression.pipelineSettings());
 * }</pre>
 */
public final class CompressionOptions implements ValidatedOptions {

  @Option(
      names = "--compression-level",
      paramLabel = "LEVEL",
      defaultValue = "1",
      description =
          "zstd level, 1 (fastest) to 19 (smallest); default ${DEFAULT-VALUE}. Higher levels cost"
              + " CPU time for a few percent of size.")
  private int level = 1;

  @Override
  public void validate(ConfigProblems problems) {
    if (level < 1 || level > 19) {
      problems.add(
          EnvironmentDefaults.describe("--compression-level"), "must be 1 to 19, not " + level);
    }
  }

  /** The pipeline's default settings with this level. */
  public PipelineSettings pipelineSettings() {
    PipelineSettings d = PipelineSettings.defaults();
    return new PipelineSettings(level, d.compressionWorkers(), d.chunkSize(), d.bufferedChunks());
  }
}
