package io.aido.backup.core.bench;

import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.pipeline.PartResult;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.core.storage.ObjectKey;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Java side of {@code bench/pipeline-bench.sh}: the pipeline alone, one direction per process
 * so each direction's time and peak memory are measured on their own. Not a test.
 *
 * <pre>
 * PipelineBench keyset FILE
 * PipelineBench store INPUT REPO_DIR KEYSET
 * PipelineBench load REPO_DIR KEYSET
 * </pre>
 */
public final class PipelineBench {
  private static final ObjectKey PART = ObjectKey.of("data/bench/part-0");

  private PipelineBench() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "keyset" -> KeyEncryptionKeys.generateKeysetFile(Path.of(args[1]));
      case "store" -> store(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
      case "load" -> load(Path.of(args[1]), Path.of(args[2]));
      default ->
          throw new IllegalArgumentException(
              "usage: keyset FILE | store INPUT REPO KEYSET | load REPO KEYSET");
    }
  }

  private static void store(Path input, Path repo, Path keyset) throws Exception {
    KeyEncryptionKey kek = KeyEncryptionKeys.openKeysetFile(keyset);
    DataKey dataKey = DataKey.generate();
    Files.createDirectories(repo);
    WrappedDataKey wrapped = dataKey.wrap(kek);
    Files.writeString(repo.resolve("bench-key.txt"), wrapped.ciphertext(), StandardCharsets.UTF_8);
    BlobStore store = BlobStores.open(repo.toUri().toString());
    long start = System.nanoTime();
    PartResult r;
    try (InputStream in = Files.newInputStream(input)) {
      r = new Pipeline(PipelineSettings.defaults()).store(in, store, PART, dataKey);
    }
    report("store", start, r);
  }

  private static void load(Path repo, Path keyset) throws Exception {
    KeyEncryptionKey kek = KeyEncryptionKeys.openKeysetFile(keyset);
    String ciphertext = Files.readString(repo.resolve("bench-key.txt"), StandardCharsets.UTF_8);
    DataKey dataKey =
        DataKey.unwrap(new WrappedDataKey(kek.id(), DataKey.TEMPLATE, ciphertext), kek);
    BlobStore store = BlobStores.open(repo.toUri().toString());
    long start = System.nanoTime();
    PartResult r =
        new Pipeline(PipelineSettings.defaults())
            .load(store, PART, dataKey, OutputStream.nullOutputStream());
    report("load", start, r);
  }

  private static void report(String what, long start, PartResult r) {
    double seconds = (System.nanoTime() - start) / 1e9;
    System.err.printf(
        "%s: %d plaintext bytes, %d stored bytes, sha256 %s, %.2f s%n",
        what, r.plaintextSize(), r.storedSize(), r.plaintextSha256(), seconds);
  }
}
