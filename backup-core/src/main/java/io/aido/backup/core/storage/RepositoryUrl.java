package io.aido.backup.core.storage;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The URL of a backup repository: {@code file:///absolute/path} or {@code gs://bucket/prefix}.
 *
 * <p>Guarantees: a parsed URL has scheme {@code file} with an absolute path, or scheme {@code gs}
 * with a valid bucket name and a prefix without empty segments (possibly empty), or scheme {@code
 * memory} with a name (an in-process store, for tests and dry runs). It never holds credentials:
 * {@code user:password@} is refused, and no message repeats it: a URL is quoted in a message only
 * with its user information replaced by {@code ***}.
 *
 * <pre>{@code
 * RepositoryUrl url = RepositoryUrl.parse("gs://acme-backups/prod"); // bucket acme-backups, prefix prod
 * }</pre>
 *
 * @param scheme {@code file}, {@code gs} or {@code memory}
 * @param location the absolute directory ({@code file}), the bucket ({@code gs}) or the name
 * @param prefix the object prefix inside the bucket, without slashes at either end, or empty
 */
public record RepositoryUrl(String scheme, String location, String prefix) {
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]");

  public RepositoryUrl {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(prefix, "prefix");
  }

  /**
   * Parses and checks a repository URL.
   *
   * @throws IllegalArgumentException saying what is wrong and what is expected
   */
  public static RepositoryUrl parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("not set (expected file:///path or gs://bucket/prefix)");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "'" + redact(url) + "' is not a URL (expected file:///path or gs://bucket/prefix)");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("must not contain credentials");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    return switch (scheme) {
      case "file" -> file(url, uri);
      case "gs" -> gcs(url, uri);
      case "memory" -> memory(url, uri);
      default ->
          throw new IllegalArgumentException(
              "'"
                  + redact(url)
                  + "' has "
                  + (scheme.isEmpty() ? "no scheme" : "unsupported scheme '" + scheme + "'")
                  + " (expected file:///path or gs://bucket/prefix)");
    };
  }

  private static RepositoryUrl file(String url, URI uri) {
    if (uri.getAuthority() != null || uri.getPath() == null || !uri.getPath().startsWith("/")) {
      throw new IllegalArgumentException(
          "'" + redact(url) + "' must name an absolute path, like file:///var/backups");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw new IllegalArgumentException("'" + redact(url) + "' must not have a query or fragment");
    }
    return new RepositoryUrl("file", Path.of(uri.getPath()).normalize().toString(), "");
  }

  private static RepositoryUrl gcs(String url, URI uri) {
    String bucket = uri.getHost() == null ? uri.getAuthority() : uri.getHost();
    if (bucket == null || !BUCKET.matcher(bucket).matches() || uri.getPort() != -1) {
      throw new IllegalArgumentException(
          "'" + redact(url) + "' must name a bucket, like gs://my-bucket/prefix");
    }
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw new IllegalArgumentException("'" + redact(url) + "' must not have a query or fragment");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String prefix = path.replaceAll("^/+", "").replaceAll("/+$", "");
    if (prefix.contains("//") || prefix.matches("(.*/)?\\.{1,2}(/.*)?")) {
      throw new IllegalArgumentException(
          "'" + redact(url) + "' has an invalid prefix (empty, '.' or '..' segment)");
    }
    return new RepositoryUrl("gs", bucket, prefix);
  }

  private static RepositoryUrl memory(String url, URI uri) {
    String name = uri.getAuthority();
    if (name == null
        || uri.getQuery() != null
        || uri.getFragment() != null
        || !(uri.getPath() == null || uri.getPath().isEmpty())) {
      throw new IllegalArgumentException("'" + redact(url) + "' must be memory://name");
    }
    return new RepositoryUrl("memory", name, "");
  }

  /**
   * {@code url} with any user information replaced by {@code ***}, for messages; it needs no valid
   * URL.
   */
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

  /** The directory of a {@code file} repository. */
  public Path directory() {
    if (!scheme.equals("file")) {
      throw new IllegalStateException("not a file repository: " + this);
    }
    return Path.of(location);
  }

  /** The URL in its normal form: {@code file:///var/backups} or {@code gs://bucket/prefix}. */
  @Override
  public String toString() {
    if (scheme.equals("file")) {
      return Path.of(location).toUri().toString().replaceAll("/$", "");
    }
    if (scheme.equals("memory")) {
      return "memory://" + location;
    }
    return "gs://" + location + (prefix.isEmpty() ? "" : "/" + prefix);
  }
}
