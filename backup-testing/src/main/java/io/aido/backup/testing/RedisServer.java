package io.aido.backup.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A throwaway Redis server from the machine's {@code redis-server}, for integration tests.
 *
 * <p>Guarantees: listens only on 127.0.0.1 on a free port, persists nothing ({@code --save ""
 * --appendonly no}), works in its own temporary directory; {@link #close()} kills it and deletes
 * the directory, and a JVM shutdown hook does the same for servers a test forgot.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {
 *   Jedis jedis = new Jedis(redis.host(), redis.port());
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {
  private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();
  private static final Duration STARTUP = Duration.ofSeconds(10);

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> List.copyOf(LIVE).forEach(RedisServer::close), "redis-cleanup"));
  }

  private final Process process;
  private final Path dir;
  private final int port;

  private RedisServer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts {@code redis-server} and waits until it answers PING.
   *
   * @throws IllegalStateException with the server's output if it does not answer within 10 s
   */
  public static RedisServer start() {
    Path dir;
    try {
      dir = Files.createTempDirectory("redis-");
    } catch (IOException e) {
      throw new UncheckedIOException("unable to create a temporary directory: " + e, e);
    }
    int port = FreePort.find();
    Path log = dir.resolve("redis.log");
    Process process;
    try {
      process =
          new ProcessBuilder(
                  "redis-server",
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--dir",
                  dir.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
    } catch (IOException e) {
      Processes.deleteTree(dir);
      throw new UncheckedIOException("unable to start redis-server: " + e.getMessage(), e);
    }
    RedisServer server = new RedisServer(process, dir, port);
    LIVE.add(server);
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (!server.answersPing()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        String output = readQuietly(log);
        server.close();
        throw new IllegalStateException(
            "redis-server on port " + port + " did not start: " + output);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        server.close();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
    return server;
  }

  /** {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The TCP port. */
  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String url() {
    return "redis://" + host() + ":" + port;
  }

  /** Kills the server with SIGKILL, as if its node died; the data it held is gone. */
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

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host(), port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = new byte[5];
      int n = in.readNBytes(reply, 0, reply.length);
      return n == 5 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG");
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
    return "RedisServer[" + url() + "]";
  }
}
