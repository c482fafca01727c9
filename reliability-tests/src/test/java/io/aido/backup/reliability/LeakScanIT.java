package io.aido.backup.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.aido.backup.core.cli.JobContext;
import io.aido.backup.core.cli.JobMain;
import io.aido.backup.core.config.Environment;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.testing.PgCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leak scan: runs the database jobs' commands (successful and failing, JSON and text logs, with
 * {@code --debug}) against a real PostgreSQL whose superuser has a password, with a local HTTP
 * server as the Pushgateway, then byte-scans every output stream, every metric body and every file
 * of the repository for every secret in play: the server password, a role's password, the keyset's
 * key material (as stored, base64, and as hex) and a secret value stored in the database itself
 * (the repository holds it only encrypted).
 */
class LeakScanIT {
  private static final String PG_PASSWORD = "Leak-pg-pa55-7f3a";
  private static final String ROLE_PASSWORD = "Leak-role-pa55-91c2";
  private static final String DATA_SECRET = "Leak-data-secret-c0ffee";

  @TempDir static Path dir;
  private static PgCluster pg;
  private static HttpServer pushgateway;
  private static final List<String> pushed = new ArrayList<>();
  private final Map<String, String> outputs = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    pg = PgCluster.builder().superuserPassword(PG_PASSWORD).start();
    pg.createDatabase("todo");
    pg.psql("postgres", "CREATE ROLE app LOGIN PASSWORD '" + ROLE_PASSWORD + "'");
    pg.psql(
        "todo",
        "CREATE TABLE secrets (id int PRIMARY KEY, token text);"
            + "INSERT INTO secrets SELECT i, '"
            + DATA_SECRET
            + "' || i FROM generate_series(1, 500) i;");
    pushgateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    pushgateway.createContext(
        "/",
        exchange -> {
          synchronized (pushed) {
            pushed.add(
                exchange.getRequestURI()
                    + "\n"
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    pushgateway.start();
  }

  @AfterAll
  static void stop() {
    pushgateway.stop(0);
    pg.close();
  }

  private Map<String, String> env(Path repo, Path keyset, String logFormat) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", logFormat);
    env.put("BACKUP_DEBUG", "true");
    env.put("BACKUP_PUSHGATEWAY_URL", "http://127.0.0.1:" + pushgateway.getAddress().getPort());
    env.put("PG_BIN_DIR", pg.binDir().toString());
    return env;
  }

  private int run(String what, Supplier<JobMain> job, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = job.get().execute(new JobContext(Environment.of(env), o, e, Clock.systemUTC()), args);
    }
    outputs.put(what + " stdout", out.toString(StandardCharsets.UTF_8));
    outputs.put(what + " stderr", err.toString(StandardCharsets.UTF_8));
    return code;
  }

  /** The key material of a Tink keyset file, as stored (base64) and as hex. */
  private static List<String> keyMaterial(Path keyset) throws Exception {
    List<String> material = new ArrayList<>();
    JsonNode json = new ObjectMapper().readTree(keyset.toFile());
    for (JsonNode key : json.path("key")) {
      String value = key.path("keyData").path("value").asText();
      assertThat(value).isNotEmpty();
      material.add(value);
      material.add(HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(value)));
    }
    return material;
  }

  @Test
  void everyOutputMetricAndRepositoryFile_holdsNoSecret() throws Exception {
    Path repo = dir.resolve("repo");
    Path keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    Map<String, String> json = env(repo, keyset, "json");
    Map<String, String> text = env(repo, keyset, "text");
    Map<String, String> wrongPassword = new HashMap<>(text);
    wrongPassword.put("PGPASSWORD", PG_PASSWORD + "-wrong");

    assertThat(
            run(
                "backup json",
                io.aido.backup.db.Main::new,
                json,
                "backup",
                "--database",
                "todo",
                "--with-role-passwords"))
        .isZero();
    assertThat(
            run("backup text", io.aido.backup.db.Main::new, text, "backup", "--database", "todo"))
        .isZero();
    assertThat(
            run(
                "backup wrong password",
                io.aido.backup.db.Main::new,
                wrongPassword,
                "backup",
                "--database",
                "todo"))
        .isNotZero();
    assertThat(
            run(
                "restore",
                io.aido.backup.db.Main::new,
                text,
                "restore",
                "--backup-id",
                "latest",
                "--target-database",
                "todo_copy",
                "--create"))
        .isZero();
    assertThat(
            run(
                "restore failing",
                io.aido.backup.db.Main::new,
                json,
                "restore",
                "--backup-id",
                "latest",
                "--target-database",
                "todo_copy"))
        .isNotZero();
    assertThat(run("catalog", io.aido.backup.db.Main::new, json, "catalog", "show", "latest"))
        .isZero();
    assertThat(
            run(
                "verify",
                io.aido.backup.verify.Main::new,
                json,
                "verify",
                "--all",
                "--restore-test"))
        .isZero();
    assertThat(run("retention", io.aido.backup.retention.Main::new, json, "apply", "--dry-run"))
        .isZero();

    Map<String, String> secrets = new LinkedHashMap<>();
    secrets.put("PostgreSQL password", PG_PASSWORD);
    secrets.put("role password", ROLE_PASSWORD);
    secrets.put("value stored in the database", DATA_SECRET);
    int k = 0;
    for (String m : keyMaterial(keyset)) {
      secrets.put("keyset key material " + k++, m);
    }
    Map<String, byte[]> scanned = new LinkedHashMap<>();
    outputs.forEach((what, o) -> scanned.put(what, o.getBytes(StandardCharsets.UTF_8)));
    synchronized (pushed) {
      assertThat(pushed).isNotEmpty();
      for (int i = 0; i < pushed.size(); i++) {
        scanned.put("metric push " + i, pushed.get(i).getBytes(StandardCharsets.UTF_8));
      }
    }
    try (Stream<Path> files = Files.walk(repo)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        scanned.put("repository file " + repo.relativize(f), Files.readAllBytes(f));
      }
    }
    assertThat(scanned.keySet()).anyMatch(n -> n.startsWith("repository file audit/"));

    List<String> hits = new ArrayList<>();
    for (Map.Entry<String, byte[]> s : scanned.entrySet()) {
      String content = new String(s.getValue(), StandardCharsets.ISO_8859_1);
      secrets.forEach(
          (name, secret) -> {
            if (content.contains(secret)) {
              hits.add(name + " in " + s.getKey());
            }
          });
    }
    System.out.printf(
        "reliability: leak scan: %d secrets searched in %d outputs, metric bodies and repository"
            + " files: %d hits%n",
        secrets.size(), scanned.size(), hits.size());
    assertThat(hits).isEmpty();
  }
}
