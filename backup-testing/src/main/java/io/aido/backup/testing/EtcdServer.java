package io.aido.backup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A throwaway single-member etcd from the machine's {@code etcd} (Debian's {@code etcd-server}),
 * for integration tests.
 *
 * <p>Guarantees: client and peer URLs on 127.0.0.1, on free ports; data in its own temporary
 * directory; {@link #start()} returns once {@code /health} on the client port reports healthy;
 * {@link #close()} kills it and deletes the directory, and a JVM shutdown hook does the same for
 * servers a test forgot. Never uses an etcd already running on the machine.
 *
 * <pre>{@code
 * try (EtcdServer etcd = EtcdServer.start()) {
 *   Client client = Client.builder().endpoints(etcd.endpoint()).build();
 * }
 * }</pre>
 */
public final class EtcdServer implements AutoCloseable {
  private static final Set<EtcdServer> LIVE = ConcurrentHashMap.newKeySet();
  private static final Duration STARTUP = Duration.ofSeconds(20);
  private static final int ATTEMPTS = 3;

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> List.copyOf(LIVE).forEach(EtcdServer::close), "etcd-cleanup"));
  }

  private final Process process;
  private final Path dir;
  private final int port;
  private final Tls tls;

  private EtcdServer(Process process, Path dir, int port, Tls tls) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.tls = tls;
  }

  /**
   * The PEM files of a TLS etcd, made by {@link #startTls()} with {@code openssl}: a CA, the
   * server's certificate for IP 127.0.0.1, and a client certificate the server requires.
   *
   * @param ca the CA certificate
   * @param clientCert the client certificate
   * @param clientKey the client's private key (PKCS#8)
   */
  public record Tls(Path ca, Path clientCert, Path clientKey) {}

  /**
   * Starts {@code etcd} and waits until it is healthy, with new ports if a port was taken.
   *
   * @throws IllegalStateException with the server's output if it does not become healthy within 20
   *     s
   */
  public static EtcdServer start() {
    return start(false);
  }

  /**
   * Starts {@code etcd} serving clients over TLS with client-certificate authentication ({@code
   * https://127.0.0.1:<port>}), with a CA and certificates made for it; {@link #tls()} has them.
   *
   * @throws IllegalStateException if {@code openssl} fails or etcd does not start within 20 s
   */
  public static EtcdServer startTls() {
    return start(true);
  }

  private static EtcdServer start(boolean tls) {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        return startOnce(tls);
      } catch (IllegalStateException e) {
        last = e;
        if (!e.getMessage().contains("address already in use")) {
          throw e;
        }
      }
    }
    throw last;
  }

  private static EtcdServer startOnce(boolean withTls) {
    Path dir;
    try {
      dir = Files.createTempDirectory("etcd-");
    } catch (IOException e) {
      throw new UncheckedIOException("unable to create a temporary directory: " + e, e);
    }
    Tls tls = withTls ? certificates(dir) : null;
    int port = FreePort.find();
    int peer = FreePort.find();
    String client = (withTls ? "https" : "http") + "://127.0.0.1:" + port;
    String peerUrl = "http://127.0.0.1:" + peer;
    Path log = dir.resolve("etcd.log");
    Process process;
    try {
      ProcessBuilder builder =
          new ProcessBuilder(
                  "etcd",
                  "--name",
                  "test",
                  "--data-dir",
                  dir.resolve("data").toString(),
                  "--listen-client-urls",
                  client,
                  "--advertise-client-urls",
                  client,
                  "--listen-peer-urls",
                  peerUrl,
                  "--initial-advertise-peer-urls",
                  peerUrl,
                  "--initial-cluster",
                  "test=" + peerUrl,
                  "--initial-cluster-state",
                  "new")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      // Debian's etcd-server reads ETCD_* variables: none from the caller's environment
      builder.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
      if (withTls) {
        builder
            .command()
            .addAll(
                List.of(
                    "--cert-file",
                    dir.resolve("server.pem").toString(),
                    "--key-file",
                    dir.resolve("server.key").toString(),
                    "--trusted-ca-file",
                    tls.ca().toString(),
                    "--client-cert-auth"));
      }
      process = builder.start();
    } catch (IOException e) {
      Processes.deleteTree(dir);
      throw new UncheckedIOException("unable to start etcd: " + e.getMessage(), e);
    }
    EtcdServer server = new EtcdServer(process, dir, port, tls);
    LIVE.add(server);
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (!(withTls
        ? readQuietly(log).contains("ready to serve client requests")
        : server.healthy())) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        String output = readQuietly(log);
        server.close();
        throw new IllegalStateException("etcd on port " + port + " did not start: " + output);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        server.close();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting etcd", e);
      }
    }
    return server;
  }

  /**
   * Starts an etcd cluster of {@code members} plaintext members on 127.0.0.1 (as Dapr's Scheduler
   * in HA mode is three) and waits until every member reports healthy (a leader is elected). Close
   * each member; {@link #kill()} one to take it out of the cluster.
   *
   * @throws IllegalStateException with a member's output if the cluster is not healthy within 20 s
   */
  public static List<EtcdServer> startCluster(int members) {
    List<int[]> ports = new java.util.ArrayList<>();
    List<String> initial = new java.util.ArrayList<>();
    for (int i = 0; i < members; i++) {
      int[] p = {FreePort.find(), FreePort.find()};
      ports.add(p);
      initial.add("m" + i + "=http://127.0.0.1:" + p[1]);
    }
    List<EtcdServer> servers = new java.util.ArrayList<>();
    List<Path> logs = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < members; i++) {
        Path dir = Files.createTempDirectory("etcd-m" + i + "-");
        String client = "http://127.0.0.1:" + ports.get(i)[0];
        String peer = "http://127.0.0.1:" + ports.get(i)[1];
        Path log = dir.resolve("etcd.log");
        ProcessBuilder builder =
            new ProcessBuilder(
                    "etcd",
                    "--name",
                    "m" + i,
                    "--data-dir",
                    dir.resolve("data").toString(),
                    "--listen-client-urls",
                    client,
                    "--advertise-client-urls",
                    client,
                    "--listen-peer-urls",
                    peer,
                    "--initial-advertise-peer-urls",
                    peer,
                    "--initial-cluster",
                    String.join(",", initial),
                    "--initial-cluster-state",
                    "new")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
        EtcdServer server = new EtcdServer(builder.start(), dir, ports.get(i)[0], null);
        LIVE.add(server);
        servers.add(server);
        logs.add(log);
      }
    } catch (IOException e) {
      servers.forEach(EtcdServer::close);
      throw new UncheckedIOException("unable to start an etcd cluster: " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (!servers.stream().allMatch(EtcdServer::healthy)) {
      if (servers.stream().anyMatch(m -> !m.process.isAlive()) || System.nanoTime() > deadline) {
        String output = readQuietly(logs.get(0));
        servers.forEach(EtcdServer::close);
        throw new IllegalStateException("etcd cluster did not start: " + output);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        servers.forEach(EtcdServer::close);
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting an etcd cluster", e);
      }
    }
    return List.copyOf(servers);
  }

  /** The client URL, {@code http://127.0.0.1:<port>} ({@code https} for {@link #startTls()}). */
  public String endpoint() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + port;
  }

  /** The certificates of a server from {@link #startTls()}; null for a plaintext one. */
  public Tls tls() {
    return tls;
  }

  /** Makes a CA, a server certificate for 127.0.0.1 and a client certificate in {@code dir}. */
  private static Tls certificates(Path dir) {
    try {
      Files.writeString(
          dir.resolve("server.ext"),
          "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
      Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    } catch (IOException e) {
      throw new UncheckedIOException("unable to write openssl extensions: " + e, e);
    }
    openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=aido-test-ca");
    for (String who : List.of("server", "client")) {
      openssl(
          dir,
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          who + ".key",
          "-out",
          who + ".csr",
          "-subj",
          "/CN=aido-test-" + who);
      openssl(
          dir,
          "x509",
          "-req",
          "-in",
          who + ".csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          who + ".pem",
          "-days",
          "1",
          "-extfile",
          who + ".ext");
    }
    return new Tls(dir.resolve("ca.pem"), dir.resolve("client.pem"), dir.resolve("client.key"));
  }

  private static void openssl(Path dir, String... args) {
    List<String> command = new java.util.ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    try {
      Process p =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("openssl.log").toFile())
              .start();
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "openssl "
                + String.join(" ", args)
                + " failed: "
                + readQuietly(dir.resolve("openssl.log")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("unable to run openssl: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl", e);
    }
  }

  /** The client port. */
  public int port() {
    return port;
  }

  /** Kills the server with SIGKILL, as if its node died. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the server and deletes its directory. Safe to call twice. */
  @Override
  public void close() {
    if (LIVE.remove(this)) {
      kill();
      Processes.deleteTree(dir);
    }
  }

  private boolean healthy() {
    try {
      HttpURLConnection c =
          (HttpURLConnection) URI.create(endpoint() + "/health").toURL().openConnection();
      c.setConnectTimeout(200);
      c.setReadTimeout(1000);
      try {
        return c.getResponseCode() == 200
            && new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .contains("\"health\":\"true\"");
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  @Override
  public String toString() {
    return "EtcdServer[" + endpoint() + "]";
  }
}
