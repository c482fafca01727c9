package io.aido.backup.core.storage;

import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.gcs.GcsStorages;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens the store a repository URL names.
 *
 * <ul>
 *   <li>{@code file:///absolute/path}: a {@link LocalBlobStore} in that directory;
 *   <li>{@code gs://bucket} or {@code gs://bucket/prefix}: a {@link GcsBlobStore} with application
 *       default credentials and {@link GcsStorages#defaultRetrySettings()};
 *   <li>{@code memory://name}: a {@link MemoryBlobStore}; every open of the same name in one JVM
 *       returns the same store, for tests and dry runs.
 * </ul>
 *
 * <p>The URL is parsed by {@link RepositoryUrl}, the one parser of repository URLs, before any
 * client is built. Opening sends no request to the store: a wrong bucket or missing credentials
 * surface on first use.
 *
 * <pre>{@code
 * BlobStore store = BlobStores.open("gs://acme-backups/prod");
 * }</pre>
 */
public final class BlobStores {
  private static final String FORMS =
      "expected file:///absolute/path, gs://bucket[/prefix] or memory://name";

  private static final Map<String, MemoryBlobStore> MEMORY = new ConcurrentHashMap<>();

  private BlobStores() {}

  /**
   * The store for {@code url}.
   *
   * @throws IllegalArgumentException if {@link RepositoryUrl#parse} refuses the URL (another form,
   *     user information, an invalid path, bucket or prefix); the message never repeats user
   *     information
   */
  public static BlobStore open(String url) {
    RepositoryUrl parsed;
    try {
      parsed = RepositoryUrl.parse(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unusable repository URL '"
              + RepositoryUrl.redact(url)
              + "': "
              + e.getMessage()
              + "; "
              + FORMS);
    }
    return open(parsed);
  }

  /** The store for a parsed {@code url}. */
  public static BlobStore open(RepositoryUrl url) {
    return switch (url.scheme()) {
      case "file" -> new LocalBlobStore(url.directory());
      case "gs" -> new GcsBlobStore(GcsStorages.production(), url.location(), url.prefix());
      case "memory" ->
          MEMORY.computeIfAbsent(
              url.location(), n -> new MemoryBlobStore(Clock.systemUTC(), "memory://" + n));
      default -> throw new IllegalArgumentException("unknown scheme '" + url.scheme() + "'");
    };
  }
}
