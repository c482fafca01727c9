package io.aido.backup.postgres;

import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.config.Secret;
import io.aido.backup.core.config.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * How to reach a PostgreSQL server, read from the libpq environment variables so that the job, its
 * {@code pg_dump} and {@code pg_restore} children and an operator's {@code psql} all agree.
 *
 * <p>Variables: {@code PGHOST} (default {@code localhost}; a directory, starting with {@code /},
 * means the server's unix socket there, as for libpq), {@code PGPORT} (default 5432), {@code
 * PGUSER} (default the OS user, like libpq), {@code PGPASSWORD} (or {@code PGPASSWORD_FILE}), or
 * else a password file ({@code PGPASSFILE}, default {@code ~/.pgpass}) in libpq's format, looked up
 * per database.
 *
 * <p>Guarantees: the password is a {@link Secret}, registered for redaction, so it never appears in
 * {@link #toString()}, a log line or a message; it is never put on a command line; child processes
 * receive it in their environment ({@link #childEnv}) only.
 *
 * <pre>{@code
 * PgConnection pg = PgConnection.fromEnv(env, problems);
 * try (Connection c = pg.open("todo")) { ... }
 * }</pre>
 */
public final class PgConnection {
  private static final int CONNECT_TIMEOUT_SECONDS = 10;

  private final String host;
  private final int port;
  private final String user;
  private final Secret password;
  private final PassFile passFile;

  private PgConnection(String host, int port, String user, Secret password, PassFile passFile) {
    this.host = Objects.requireNonNull(host, "host");
    this.port = port;
    this.user = Objects.requireNonNull(user, "user");
    this.password = password;
    this.passFile = passFile;
  }

  /** A connection with an explicit password ({@code null} for none). */
  public static PgConnection of(String host, int port, String user, String password) {
    return new PgConnection(host, port, user, password == null ? null : Secret.of(password), null);
  }

  /**
   * Reads the libpq variables from {@code env}; {@code PGPASSWORD} may also come from a file named
   * by {@code PGPASSWORD_FILE} (a mounted Kubernetes Secret).
   *
   * <p>Every problem (a malformed port, a socket directory as host, an unreadable password file)
   * goes to {@code problems}, never quoting a password; the result is meaningful only when none was
   * found.
   */
  public static PgConnection fromEnv(Environment env, ConfigProblems problems) {
    String host = nonBlank(env.get("PGHOST")).orElse("localhost");
    int port = 5432;
    Optional<String> portText = nonBlank(env.get("PGPORT"));
    if (portText.isPresent()) {
      try {
        port = Integer.parseInt(portText.get());
        if (port < 1 || port > 65535) {
          problems.add("PGPORT", "'" + portText.get() + "' is not a port (1 to 65535)");
        }
      } catch (NumberFormatException e) {
        problems.add("PGPORT", "'" + portText.get() + "' is not a number");
      }
    }
    String user =
        nonBlank(env.get("PGUSER")).orElseGet(() -> System.getProperty("user.name", "postgres"));
    Secret password = Secrets.fromEnvironment(env, "PGPASSWORD", problems).orElse(null);
    PassFile passFile = null;
    if (password == null) {
      Optional<String> explicit = nonBlank(env.get("PGPASSFILE"));
      Path file =
          explicit
              .map(Paths::get)
              .orElseGet(() -> Paths.get(System.getProperty("user.home", "/"), ".pgpass"));
      if (Files.isRegularFile(file)) {
        try {
          passFile = PassFile.read(file);
        } catch (IOException e) {
          problems.add(
              "PGPASSFILE", "unable to read password file '" + file + "': " + e.getMessage());
        }
      } else if (explicit.isPresent()) {
        problems.add("PGPASSFILE", "password file '" + file + "' does not exist");
      }
    }
    return new PgConnection(host, port, user, password, passFile);
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String user() {
    return user;
  }

  /** {@code host:port}, or the socket file for a socket directory, for messages. */
  public String server() {
    return isSocketDir() ? UnixSocketFactory.socketFile(host, port) : host + ":" + port;
  }

  private Optional<Secret> password(String database) {
    if (password != null) {
      return Optional.of(password);
    }
    return passFile == null
        ? Optional.empty()
        : passFile.lookup(host, Integer.toString(port), database, user).map(Secret::of);
  }

  /** The JDBC URL of {@code database}; holds no credentials. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://"
        + (isSocketDir() ? "localhost" : host)
        + ":"
        + port
        + "/"
        + database;
  }

  /** Whether the host is a unix socket directory (starts with {@code /}), as libpq reads it. */
  public boolean isSocketDir() {
    return host.startsWith("/");
  }

  /**
   * A new JDBC connection to {@code database}.
   *
   * @throws SQLException as the driver reports it (its messages never contain the password)
   */
  public Connection open(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), properties(database));
  }

  /**
   * A new physical replication connection (a walsender), for streaming WAL with pgjdbc's
   * replication API. It needs a {@code replication} line in {@code pg_hba.conf} and a role with the
   * {@code REPLICATION} attribute.
   *
   * @throws SQLException as the driver reports it (its messages never contain the password)
   */
  public Connection openReplication() throws SQLException {
    Properties props = properties("replication");
    props.setProperty("replication", "true");
    props.setProperty("assumeMinServerVersion", "9.4");
    props.setProperty("preferQueryMode", "simple");
    return DriverManager.getConnection(jdbcUrl("postgres"), props);
  }

  private Properties properties(String database) {
    Properties props = new Properties();
    props.setProperty("user", user);
    password(database).ifPresent(p -> props.setProperty("password", p.reveal()));
    props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    props.setProperty("ApplicationName", "aido-backup");
    if (isSocketDir()) {
      props.setProperty("socketFactory", UnixSocketFactory.class.getName());
      props.setProperty("socketFactoryArg", UnixSocketFactory.socketFile(host, port));
      props.setProperty("sslmode", "disable");
    }
    return props;
  }

  /**
   * The environment for a libpq tool ({@code pg_dump}, {@code pg_restore}) working on {@code
   * database}: host, port, user, connect timeout and, if known, the password.
   */
  public Map<String, String> childEnv(String database) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGUSER", user);
    env.put("PGCONNECT_TIMEOUT", Integer.toString(CONNECT_TIMEOUT_SECONDS));
    env.put("PGAPPNAME", "aido-backup");
    password(database).ifPresent(p -> env.put("PGPASSWORD", p.reveal()));
    return env;
  }

  /** Names the server and user; the password prints as {@code ***}. */
  @Override
  public String toString() {
    return "PgConnection[" + user + "@" + host + ":" + port + ", password=***]";
  }

  private static Optional<String> nonBlank(String s) {
    return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
  }

  /**
   * {@code database} as a libpq connection string, so that a name containing {@code =} or looking
   * like a URI is never read as connection options.
   */
  public static String conninfoDbname(String database) {
    return "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
