package io.aido.backup.dapr;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A Dapr PostgreSQL {@code connectionString} (pgx's syntax: libpq keyword/value pairs such as
 * {@code host=db port=5432 user=dapr password='p w' dbname=dapr sslmode=require}, or a URL {@code
 * postgres://user:password@host:port/db?sslmode=require}) turned into a JDBC URL and properties.
 *
 * <p>Guarantees: the JDBC URL never holds the user or password; {@link #toString()} and {@link
 * #server()} name only host, port and database; a malformed string raises {@link
 * IllegalArgumentException} with a message that does not quote it.
 */
final class PgConnectionString {
  private final String host;
  private final int port;
  private final String database;
  private final Map<String, String> settings;

  private PgConnectionString(String host, int port, String database, Map<String, String> settings) {
    this.host = host;
    this.port = port;
    this.database = database;
    this.settings = settings;
  }

  static PgConnectionString parse(String text) {
    Map<String, String> kv =
        text.startsWith("postgres://") || text.startsWith("postgresql://")
            ? url(text)
            : pairs(text);
    String host = kv.getOrDefault("host", "localhost");
    int port;
    try {
      port = Integer.parseInt(kv.getOrDefault("port", "5432"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the connection string's port is not a number");
    }
    String database = kv.containsKey("dbname") ? kv.get("dbname") : kv.get("database");
    if (database == null || database.isEmpty()) {
      database = kv.getOrDefault("user", "postgres");
    }
    return new PgConnectionString(host, port, database, kv);
  }

  private static Map<String, String> url(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the connection string is not a valid postgres:// URL");
    }
    Map<String, String> kv = new LinkedHashMap<>();
    if (uri.getHost() != null) {
      kv.put("host", uri.getHost());
    }
    if (uri.getPort() > 0) {
      kv.put("port", Integer.toString(uri.getPort()));
    }
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      kv.put("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0) {
        kv.put("password", decode(userInfo.substring(colon + 1)));
      }
    }
    String path = uri.getRawPath();
    if (path != null && path.length() > 1) {
      kv.put("dbname", decode(path.substring(1)));
    }
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          kv.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
        }
      }
    }
    return kv;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** libpq keyword/value pairs; values may be single-quoted with backslash escapes. */
  private static Map<String, String> pairs(String text) {
    Map<String, String> kv = new LinkedHashMap<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      int eq = text.indexOf('=', i);
      if (eq < 0) {
        throw new IllegalArgumentException(
            "the connection string is neither key=value pairs nor a postgres:// URL");
      }
      String key = text.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      i = eq + 1;
      while (i < n && text.charAt(i) == ' ') {
        i++;
      }
      StringBuilder value = new StringBuilder();
      if (i < n && text.charAt(i) == '\'') {
        i++;
        boolean closed = false;
        while (i < n) {
          char c = text.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(text.charAt(i++));
          } else if (c == '\'') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException("the connection string has an unterminated quote");
        }
      } else {
        while (i < n && !Character.isWhitespace(text.charAt(i))) {
          char c = text.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(text.charAt(i++));
          } else {
            value.append(c);
          }
        }
      }
      kv.put(key, value.toString());
    }
    return kv;
  }

  /** {@code jdbc:postgresql://host:port/database}: no credentials. */
  String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** user, password, sslmode and timeouts for the driver. */
  Properties properties() {
    Properties p = new Properties();
    if (settings.containsKey("user")) {
      p.setProperty("user", settings.get("user"));
    }
    if (settings.containsKey("password")) {
      p.setProperty("password", settings.get("password"));
    }
    String sslmode = settings.get("sslmode");
    if (sslmode != null) {
      p.setProperty("sslmode", sslmode);
    }
    p.setProperty("connectTimeout", settings.getOrDefault("connect_timeout", "10"));
    p.setProperty("ApplicationName", "aido-backup-dapr");
    return p;
  }

  /** The password, if the string holds one. */
  String password() {
    return settings.get("password");
  }

  /** {@code host:port/database}, for messages and records. */
  String server() {
    return host + ":" + port + "/" + database;
  }

  @Override
  public String toString() {
    return "PgConnectionString[" + server() + ", password=***]";
  }
}
