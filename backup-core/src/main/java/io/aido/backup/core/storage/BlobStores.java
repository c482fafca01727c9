package io.aido.backup.core.storage;

import io.aido.backup.core.storage.gcs.GcsBlobStore;
import io.aido.backup.core.storage.gcs.GcsStorages;
import io.aido.backup.core.storage.local.LocalBlobStore;
import io.aido.backup.core.storage.memory.MemoryBlobStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

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
 * <p>Opening sends no request to the store: a wrong bucket or missing credentials surface on first
 * use. The URL is checked before any client is built.
 *
 * <pre>{@code
 * BlobStore store = BlobStores.open("gs://acme-backups/prod");
 * }</pre>
 */
public final class BlobStores {
  private static final String FORMS =
      "expected file:///absolute/path, gs://bucket[/prefix] or memory://name";

  /** GCS bucket naming rules, loosely: lowercase letters, digits, '-', '_' and '.'. */
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]");

  private static final Map<String, MemoryBlobStore> MEMORY = new ConcurrentHashMap<>();

  private BlobStores() {}

  /**
   * The store for {@code url}.
   *
   * @throws IllegalArgumentException if the URL has another form, carries user information, or
   *     names an invalid path, bucket or prefix; the message never repeats user information
   */
  public static BlobStore open(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException | NullPointerException e) {
      throw bad(url, "not a URL");
    }
    if (uri.getRawUserInfo() != null) {
      throw bad(url, "credentials do not belong in a repository URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    switch (scheme) {
      case "file":
        return openFile(url, uri);
      case "gs":
        return openGcs(url, uri);
      case "memory":
        return openMemory(url, uri);
      default:
        throw bad(url, "unknown scheme");
    }
  }

  private static BlobStore openFile(String url, URI uri) {
    if (uri.isOpaque() || (uri.getHost() != null && !uri.getHost().equals("localhost"))) {
      throw bad(url, "a file URL needs an absolute path and no host");
    }
    if (uri.getPath() == null || uri.getPath().isEmpty() || uri.getQuery() != null) {
      throw bad(url, "a file URL needs an absolute path and no query");
    }
    return new LocalBlobStore(Path.of(uri.getPath()));
  }

  private static BlobStore openGcs(String url, URI uri) {
    String bucket = uri.getHost();
    if (bucket == null || uri.getQuery() != null || uri.getPort() != -1) {
      throw bad(url, "a gs URL needs a bucket name and no port or query");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String prefix = path.startsWith("/") ? path.substring(1) : path;
    if (!BUCKET.matcher(bucket).matches()) {
      throw bad(url, "invalid bucket name '" + bucket + "'");
    }
    String folder = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    if (!folder.isEmpty()) {
      try {
        ObjectKey.of(folder);
      } catch (IllegalArgumentException e) {
        throw bad(url, "invalid prefix '" + prefix + "'");
      }
    }
    try {
      return new GcsBlobStore(GcsStorages.production(), bucket, prefix);
    } catch (IllegalArgumentException e) {
      throw bad(url, e.getMessage());
    }
  }

  private static BlobStore openMemory(String url, URI uri) {
    String name = uri.getAuthority();
    if (name == null
        || uri.getQuery() != null
        || !(uri.getPath() == null || uri.getPath().isEmpty())) {
      throw bad(url, "a memory URL is memory://name");
    }
    return MEMORY.computeIfAbsent(
        name, n -> new MemoryBlobStore(Clock.systemUTC(), "memory://" + n));
  }

  private static IllegalArgumentException bad(String url, String problem) {
    return new IllegalArgumentException(
        "unusable repository URL '" + redact(url) + "': " + problem + "; " + FORMS);
  }

  /** {@code url} with any user information replaced by {@code ***}, for messages. */
  public static String redact(String url) {
    if (url == null) {
      return "null";
    }
    int scheme = url.indexOf("://");
    int start = scheme < 0 ? 0 : scheme + 3;
    int end = url.indexOf('/', start);
    String authority = end < 0 ? url.substring(start) : url.substring(start, end);
    int at = authority.lastIndexOf('@');
    if (at < 0) {
      return url;
    }
    return url.substring(0, start) + "***@" + url.substring(start + at + 1);
  }
}
