package io.aido.backup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A throwaway PostgreSQL 15 cluster started from the machine's real binaries, for integration
 * tests.
 *
 * <p>Guarantees: the cluster lives in its own temporary directory (data directory, unix socket,
 * server log) and listens on 127.0.0.1 on a free port and on a unix socket in that directory; it
 * never touches a system cluster. {@link #close()} stops it and deletes the directory; a JVM
 * shutdown hook does the same for clusters a test forgot. When the JVM runs as root, every server
 * process runs as the {@code postgres} OS user ({@code initdb} refuses root).
 *
 * <p>Authentication: connections over the unix socket are always trusted, so {@link #psql} and test
 * set-up never need a password. TCP connections (what {@link #jdbcUrl}, {@link #connect} and {@link
 * #env} use) are trusted too unless {@link Builder#superuserPassword} is set; then they need a
 * password (SCRAM-SHA-256), which lets tests check the wrong-password path.
 *
 * <pre>{@code
 * try (PgCluster pg = PgCluster.builder().superuserPassword("s3cret").start()) {
 *   pg.createDatabase("todo");
 *   pg.psql("todo", "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
 *   try (Connection c = pg.connect("todo")) { ... }
 * }
 * }</pre>
 *
 * @see #builder()
 */
public final class PgCluster implements AutoCloseable {
  /** Where Debian's postgresql-15 package puts the server binaries. */
  public static final Path DEFAULT_BIN_DIR = Paths.get("/usr/lib/postgresql/15/bin");

  /** The cluster's superuser. */
  public static final String SUPERUSER = "postgres";

  private static final Set<PgCluster> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (PgCluster c : List.copyOf(LIVE)) {
                    c.close();
                  }
                  PgDataDirs.deleteTemplates();
                },
                "pg-cluster-cleanup"));
  }

  private final Path binDir;
  private final Path baseDir;
  private final Path dataDir;
  private final Path socketDir;
  private final String superuserPassword;
  private final PgServerTools tools;
  private volatile int port;

  /** How to stop a running cluster. */
  public enum StopMode {
    /** Disconnect clients, checkpoint, shut down cleanly. */
    FAST,
    /** Quit without a checkpoint; the next start runs crash recovery. */
    IMMEDIATE
  }

  private PgCluster(Path binDir, String superuserPassword, Path baseDir) {
    this.binDir = binDir;
    this.baseDir = baseDir;
    this.dataDir = baseDir.resolve("data");
    this.socketDir = baseDir.resolve("socket");
    this.superuserPassword = superuserPassword;
    this.tools = new PgServerTools(binDir, dataDir, socketDir, baseDir.resolve("server.log"));
  }

  /** A builder with trust authentication and default settings. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a cluster with trust authentication and default settings. */
  public static PgCluster start() {
    return builder().start();
  }

  /** Settings for a new cluster. */
  public static final class Builder {
    private Path binDir = DEFAULT_BIN_DIR;
    private String superuserPassword;
    private boolean ownSystemIdentifier;
    private final Map<String, String> settings = new LinkedHashMap<>();

    private Builder() {
      settings.putAll(PgDataDirs.DEFAULT_SETTINGS);
    }

    /** Where {@code initdb}, {@code pg_ctl} and {@code psql} live. */
    public Builder binDir(Path binDir) {
      this.binDir = binDir;
      return this;
    }

    /** Requires this password (SCRAM-SHA-256) for the superuser on TCP connections. */
    public Builder superuserPassword(String password) {
      this.superuserPassword = password;
      return this;
    }

    /**
     * Runs {@code initdb} for this cluster instead of copying the JVM's template, so that it has a
     * system identifier of its own, as a newly built server has (the copies share the template's).
     */
    public Builder ownSystemIdentifier() {
      this.ownSystemIdentifier = true;
      return this;
    }

    /** Sets {@code wal_level} ({@code minimal}, {@code replica}, {@code logical}). */
    public Builder walLevel(String level) {
      return setting("wal_level", level);
    }

    /** Sets {@code max_wal_senders}; replication needs at least 1 and wal_level replica. */
    public Builder maxWalSenders(int senders) {
      return setting("max_wal_senders", Integer.toString(senders));
    }

    /** Any {@code postgresql.conf} setting; the value is written as a quoted string. */
    public Builder setting(String name, String value) {
      settings.put(name, value);
      return this;
    }

    /**
     * Creates and starts the cluster; a few seconds at most.
     *
     * @throws IllegalStateException naming the tool and the server log's tail if it cannot start
     */
    public PgCluster start() {
      return create(binDir, superuserPassword, settings, ownSystemIdentifier);
    }
  }

  /**
   * Creates and starts a cluster as {@link Builder#start} says.
   *
   * @throws IllegalStateException naming the tool and the server log's tail if it cannot start
   */
  static PgCluster create(
      Path binDir,
      String superuserPassword,
      Map<String, String> settings,
      boolean ownSystemIdentifier) {
    Path base;
    try {
      base = Files.createTempDirectory("pgcluster-");
    } catch (IOException e) {
      throw new UncheckedIOException("unable to create a temporary directory: " + e, e);
    }
    PgCluster cluster = new PgCluster(binDir, superuserPassword, base);
    LIVE.add(cluster);
    try {
      PgDataDirs.prepare(
          binDir,
          base,
          cluster.dataDir,
          cluster.socketDir,
          ownSystemIdentifier,
          superuserPassword != null,
          settings);
      cluster.port = cluster.tools.startOnFreePort();
      cluster.setSuperuserPassword();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * A new, empty base directory for a data directory that the test fills itself (a restored base
   * backup goes into {@code <base>/data}); start it with {@link #startRestored}.
   */
  public static Path newBaseDir() {
    try {
      Path base = Files.createTempDirectory("pgcluster-restored-");
      PgDataDirs.chownTree(base);
      return base;
    } catch (IOException e) {
      throw new UncheckedIOException("unable to create a temporary directory: " + e, e);
    }
  }

  /**
   * Starts the data directory {@code <base>/data} that the test filled (a restored backup, with
   * whatever recovery settings it holds) on a free port, as the {@code postgres} OS user when root;
   * {@link #close()} stops it and deletes {@code base}. Returns once the server accepts
   * connections, which for a recovering server may be before recovery ended.
   *
   * @param superuserPassword the superuser's password in the restored cluster, or {@code null}
   * @throws IllegalStateException with the server log's tail if it does not start
   */
  public static PgCluster startRestored(Path base, String superuserPassword) {
    PgCluster cluster = new PgCluster(DEFAULT_BIN_DIR, superuserPassword, base);
    LIVE.add(cluster);
    try {
      PgDataDirs.prepareRestored(base, cluster.dataDir, cluster.socketDir);
      cluster.port = cluster.tools.startOnFreePort();
      return cluster;
    } catch (IOException e) {
      cluster.close();
      throw new UncheckedIOException(
          "unable to prepare restored cluster in '" + base + "': " + e, e);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Starts the (stopped or killed) cluster again on the same port and waits until it accepts
   * connections; after {@link #kill()} this runs crash recovery.
   *
   * @throws IllegalStateException with the server log's tail if it does not start
   */
  public void startAgain() {
    tools.start(port);
  }

  /** Stops the cluster; {@link #startAgain()} starts it again. */
  public void stop(StopMode mode) {
    tools.stop(mode.name().toLowerCase(Locale.ROOT)).checkSuccess();
  }

  /**
   * Kills the postmaster and every server process with SIGKILL, like a node that lost power: open
   * connections break at once. {@link #startAgain()} recovers it.
   */
  public void kill() {
    tools.kill();
  }

  /** Whether the postmaster process is alive. */
  public boolean isRunning() {
    return tools.isRunning();
  }

  /** The TCP port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The host for TCP connections, {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The directory holding the server's unix socket (trusted, no password). */
  public Path socketDir() {
    return socketDir;
  }

  /** The data directory. */
  public Path dataDir() {
    return dataDir;
  }

  /** The directory holding the server binaries ({@code pg_dump}, {@code pg_restore}, ...). */
  public Path binDir() {
    return binDir;
  }

  /** The superuser's TCP password, if one was set. */
  public Optional<String> superuserPassword() {
    return Optional.ofNullable(superuserPassword);
  }

  /** The JDBC URL of database {@code db} over TCP. */
  public String jdbcUrl(String db) {
    return "jdbc:postgresql://" + host() + ":" + port + "/" + db;
  }

  /** A new JDBC connection to {@code db} as the superuser over TCP. */
  public Connection connect(String db) throws SQLException {
    return DriverManager.getConnection(
        jdbcUrl(db), SUPERUSER, superuserPassword == null ? "" : superuserPassword);
  }

  /**
   * The libpq environment for connecting as the superuser over TCP: {@code PGHOST}, {@code PGPORT},
   * {@code PGUSER}, and {@code PGPASSWORD} when a password is set.
   */
  public Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGHOST", host());
    env.put("PGPORT", Integer.toString(port));
    env.put("PGUSER", SUPERUSER);
    if (superuserPassword != null) {
      env.put("PGPASSWORD", superuserPassword);
    }
    return env;
  }

  /**
   * Runs SQL (one or many statements) with {@code psql} over the unix socket as the superuser,
   * stopping at the first error.
   *
   * @return the unaligned, tuples-only output (fields separated by {@code |}), stripped
   * @throws IllegalStateException with psql's error message if any statement fails
   */
  public String psql(String db, String sql) {
    return tools.psql(port, db, sql);
  }

  /** Creates database {@code name} owned by the superuser. */
  public void createDatabase(String name) {
    psql("postgres", "CREATE DATABASE " + quoteIdent(name));
  }

  /** Creates database {@code name} owned by role {@code owner}. */
  public void createDatabase(String name, String owner) {
    psql("postgres", "CREATE DATABASE " + quoteIdent(name) + " OWNER " + quoteIdent(owner));
  }

  /** Creates a login role with a password (usable over TCP with SCRAM). */
  public void createRole(String name, String password) {
    psql(
        "postgres",
        "CREATE ROLE "
            + quoteIdent(name)
            + " LOGIN PASSWORD '"
            + password.replace("'", "''")
            + "'");
  }

  /** The server log so far (empty if there is none yet). */
  public String serverLog() {
    return tools.serverLog();
  }

  /** Stops the cluster (immediately) if it runs and deletes its directory. Safe to call twice. */
  @Override
  public void close() {
    if (!LIVE.remove(this)) {
      return;
    }
    try {
      if (isRunning()) {
        tools.stop("immediate");
      }
      if (isRunning()) {
        kill();
      }
    } finally {
      Processes.deleteTree(baseDir);
    }
  }

  @Override
  public String toString() {
    return "PgCluster[" + host() + ":" + port + ", " + baseDir + "]";
  }

  /** {@code name} as a quoted SQL identifier. */
  public static String quoteIdent(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private void setSuperuserPassword() {
    if (superuserPassword != null) {
      psql(
          "postgres",
          "ALTER ROLE " + SUPERUSER + " PASSWORD '" + superuserPassword.replace("'", "''") + "'");
    }
  }
}
