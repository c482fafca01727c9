package io.aido.backup.core.pipeline;

/**
 * Tuning for the pipeline.
 *
 * @param compressionLevel zstd level, 1 to 19 (default 3)
 * @param compressionWorkers zstd worker threads, 0 for single-threaded (default: the CPU count)
 * @param chunkSize bytes per buffer handed between stages (default 1 MiB)
 * @param bufferedChunks buffers in flight between two stages (default 4)
 */
public record PipelineSettings(
    int compressionLevel, int compressionWorkers, int chunkSize, int bufferedChunks) {

  public PipelineSettings {
    if (compressionLevel < 1 || compressionLevel > 19) {
      throw new IllegalArgumentException("zstd level must be 1 to 19, not " + compressionLevel);
    }
    if (compressionWorkers < 0 || chunkSize < 4096 || bufferedChunks < 1) {
      throw new IllegalArgumentException("invalid pipeline settings");
    }
  }

  public static PipelineSettings defaults() {
    return new PipelineSettings(3, Runtime.getRuntime().availableProcessors(), 1 << 20, 4);
  }
}
