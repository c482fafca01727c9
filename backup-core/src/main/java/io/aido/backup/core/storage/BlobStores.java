package io.aido.backup.core.storage;

import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.gcs.GcsStorages;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens the store a repository URL names.
 *
 * <ul>
 *   <li>{@code file:///absolute/path}: a {@link LocalBlobStore} in that directory;
 *   <li>{@code gs://bucket} or {@code gs://bucket/prefix}: a {@link GcsBlobStore} with application
 *       default credentials and {@link GcsStorages#defaultRetrySettings()};
 *   <li>{@code memory://name}: a {@link MemoryBlobStore}; every open of the same name in one JVM
 *       returns the same store, for tests and dry runs. A store {@link #register registered} under
 *       the name is returned instead, so a test can run a whole command against any store (a {@link
 *       FaultInjectingBlobStore}, a GCS client pointed at a test server).
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

  private static final Map<String, BlobStore> MEMORY = new ConcurrentHashMap<>();
  private static final Map<String, BlobStore> REGISTERED = new ConcurrentHashMap<>();

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

  /**
   * Makes {@code memory://name} open {@code store} in this JVM until the registration is closed,
   * for tests and drills that run whole commands against a store no URL names.
   *
   * <pre>{@code
   * FaultInjectingBlobStore faulty = new FaultInjectingBlobStore(new LocalBlobStore(dir));
   * try (BlobStores.Registration r = BlobStores.register("faulty", faulty)) {
   *   // a command given --storage-url memory://faulty writes through faulty
   * }
   * }</pre>
   *
   * @throws IllegalArgumentException if {@code name} is not a valid {@code memory://} name
   * @throws IllegalStateException if a store is already registered or opened under {@code name}
   */
  public static Registration register(String name, BlobStore store) {
    Objects.requireNonNull(store, "store");
    RepositoryUrl url = RepositoryUrl.parse("memory://" + name);
    if (MEMORY.putIfAbsent(url.location(), store) != null) {
      throw new IllegalStateException("memory://" + name + " is already in use");
    }
    REGISTERED.put(url.location(), store);
    return () -> {
      REGISTERED.remove(url.location(), store);
      MEMORY.remove(url.location(), store);
    };
  }

  /**
   * Whether {@code url} is a {@code memory://} name a store is {@link #register registered} under:
   * a store that outlives the run (a test's store around a directory or a bucket), unlike a {@link
   * MemoryBlobStore}, which vanishes with the JVM.
   */
  public static boolean isRegistered(RepositoryUrl url) {
    return url.scheme().equals("memory") && REGISTERED.containsKey(url.location());
  }

  /** A store registered under a {@code memory://} name; closing it forgets the store. */
  @FunctionalInterface
  public interface Registration extends AutoCloseable {
    @Override
    void close();
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
