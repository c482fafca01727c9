package io.aido.backup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The data directories of {@link PgCluster}: initdb'd once per binary directory and copied, owned
 * by the {@code postgres} OS user when the tests run as root, configured for a test server (the
 * socket directory, loopback only, trust or a password).
 */
final class PgDataDirs {
  /** The OS user the servers and tools run as when the tests run as root. */
  static final String OS_USER = "postgres";

  /** A test server's settings unless the test sets them: speed over durability, little memory. */
  static final Map<String, String> DEFAULT_SETTINGS = defaultSettings();

  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  private static final Map<Path, Path> TEMPLATES = new ConcurrentHashMap<>();

  private PgDataDirs() {}

  private static Map<String, String> defaultSettings() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("fsync", "off");
    settings.put("full_page_writes", "off");
    settings.put("shared_buffers", "32MB");
    settings.put("max_connections", "40");
    settings.put("log_min_messages", "warning");
    settings.put("wal_level", "minimal");
    settings.put("max_wal_senders", "0");
    return Collections.unmodifiableMap(settings);
  }

  /**
   * A new cluster's directories: the socket directory, {@code dataDir} filled ({@link #create}) and
   * configured ({@link #configure}).
   *
   * @throws UncheckedIOException naming {@code baseDir} when a file cannot be written
   */
  static void prepare(
      Path binDir,
      Path baseDir,
      Path dataDir,
      Path socketDir,
      boolean ownSystemIdentifier,
      boolean password,
      Map<String, String> settings) {
    try {
      Files.createDirectories(socketDir);
      create(binDir, baseDir, dataDir, ownSystemIdentifier);
      configure(dataDir, socketDir, password, settings);
    } catch (IOException e) {
      throw new UncheckedIOException("unable to create cluster in '" + baseDir + "': " + e, e);
    }
  }

  /** A data directory the test filled: its socket directory, and ownership for the server. */
  static void prepareRestored(Path baseDir, Path dataDir, Path socketDir) throws IOException {
    Files.createDirectories(socketDir);
    Files.writeString(
        dataDir.resolve("postgresql.conf"),
        "\n# restored, written by PgCluster\nunix_socket_directories = '" + socketDir + "'\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    chownTree(baseDir);
  }

  /**
   * Fills {@code dataDir} (inside {@code baseDir}): its own initdb when {@code
   * ownSystemIdentifier}, otherwise a copy of the template (the same system identifier as every
   * other copy).
   */
  static void create(Path binDir, Path baseDir, Path dataDir, boolean ownSystemIdentifier) {
    if (ownSystemIdentifier) {
      chownTree(baseDir);
      initdb(binDir, dataDir);
    } else {
      Processes.run(
              List.of("cp", "-a", template(binDir).toString(), dataDir.toString()),
              Map.of(),
              TOOL_TIMEOUT)
          .checkSuccess();
    }
    chownTree(baseDir);
  }

  /**
   * Writes {@code pg_hba.conf} (local trust; TCP on 127.0.0.1 with scram-sha-256 when {@code
   * password}, else trust) and appends the socket directory, loopback listening and {@code
   * settings} to {@code postgresql.conf}.
   */
  static void configure(
      Path dataDir, Path socketDir, boolean password, Map<String, String> settings)
      throws IOException {
    String hostAuth = password ? "scram-sha-256" : "trust";
    Files.writeString(
        dataDir.resolve("pg_hba.conf"),
        "local all all trust\n"
            + "local replication all trust\n"
            + "host all all 127.0.0.1/32 "
            + hostAuth
            + "\n"
            + "host replication all 127.0.0.1/32 "
            + hostAuth
            + "\n",
        StandardCharsets.UTF_8);
    StringBuilder conf = new StringBuilder("\n# written by PgCluster\n");
    conf.append("listen_addresses = '127.0.0.1'\n");
    conf.append("unix_socket_directories = '").append(socketDir).append("'\n");
    settings.forEach(
        (k, v) -> conf.append(k).append(" = '").append(v.replace("'", "''")).append("'\n"));
    Files.writeString(
        dataDir.resolve("postgresql.conf"),
        conf,
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
  }

  /**
   * An initdb'd data directory per binary directory, made once per JVM and copied for each cluster:
   * copying takes a fraction of what initdb takes on a loaded machine.
   */
  static synchronized Path template(Path binDir) {
    Path existing = TEMPLATES.get(binDir);
    if (existing != null) {
      return existing;
    }
    Path base;
    try {
      base = Files.createTempDirectory("pgcluster-template-");
    } catch (IOException e) {
      throw new UncheckedIOException("unable to create a temporary directory: " + e, e);
    }
    Path data = base.resolve("data");
    try {
      chownTree(base);
      initdb(binDir, data);
    } catch (RuntimeException e) {
      Processes.deleteTree(base);
      throw e;
    }
    TEMPLATES.put(binDir, data);
    return data;
  }

  static void initdb(Path binDir, Path data) {
    Processes.run(
            Processes.asUser(
                OS_USER,
                List.of(
                    binDir.resolve("initdb").toString(),
                    "-D",
                    data.toString(),
                    "-U",
                    PgCluster.SUPERUSER,
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--auth=trust")),
            Map.of(),
            TOOL_TIMEOUT)
        .checkSuccess();
  }

  static void chownTree(Path path) {
    if (Processes.runningAsRoot()) {
      Processes.run(List.of("chown", "-R", OS_USER + ":", path.toString()), Map.of(), TOOL_TIMEOUT)
          .checkSuccess();
    }
  }

  /** Removes every template; at the JVM's exit. */
  static void deleteTemplates() {
    TEMPLATES.values().forEach(t -> Processes.deleteTree(t.getParent()));
  }
}
