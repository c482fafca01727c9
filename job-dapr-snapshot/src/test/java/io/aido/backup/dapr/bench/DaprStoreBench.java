package io.aido.backup.dapr.bench;

import io.aido.backup.dapr.KeyFilter;
import io.aido.backup.dapr.PostgresStateStore;
import io.aido.backup.dapr.RedisStateStore;
import io.aido.backup.dapr.SnapshotFormat;
import io.aido.backup.dapr.StateStore;
import io.aido.backup.testing.PgCluster;
import io.aido.backup.testing.RedisServer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Snapshot and restore speed of the state stores alone (no compression, no encryption: the pipeline
 * has its own benchmark), on a throwaway PostgreSQL and Redis. Run by {@code bench/dapr-bench.sh};
 * prints one line per measurement.
 *
 * <pre>
 * java -cp ... io.aido.backup.dapr.bench.DaprStoreBench ROWS REDIS_KEYS VALUE_BYTES OUT_DIR
 * </pre>
 */
public final class DaprStoreBench {
  private DaprStoreBench() {}

  public static void main(String[] args) throws Exception {
    int rows = Integer.parseInt(args[0]);
    int redisKeys = Integer.parseInt(args[1]);
    int valueBytes = Integer.parseInt(args[2]);
    Path out = Path.of(args[3]);
    Files.createDirectories(out);
    System.out.printf("%-22s %10s %9s %10s %9s%n", "run", "items", "seconds", "items/s", "MiB/s");
    try (PgCluster pg = PgCluster.start()) {
      pg.createDatabase("bench");
      pg.psql(
          "bench",
          "CREATE TABLE state (key text NOT NULL PRIMARY KEY, value bytea NOT NULL, etag uuid NOT"
              + " NULL DEFAULT gen_random_uuid(), created_at timestamptz NOT NULL DEFAULT now(),"
              + " updated_at timestamptz, expires_at timestamptz);"
              + "CREATE INDEX ON state (expires_at);"
              + "INSERT INTO state (key, value, expires_at) SELECT 'todo-app||TodoActor||' || (i %"
              + " 1000) || '||k' || i, convert_to(rpad('{\"n\":' || i || ',\"t\":\"', "
              + valueBytes
              + ", 'x') || '\"}', 'UTF8'), CASE WHEN i % 10 = 0 THEN now() + interval '1 day' END"
              + " FROM generate_series(1, "
              + rows
              + ") i;"
              + "VACUUM ANALYZE state;");
      PostgresStateStore store =
          new PostgresStateStore(
              () -> pg.connect("bench"), PostgresStateStore.Layout.V2, "state", "bench");
      Path file = out.resolve("pg-v2.dss");
      measure("postgres-v2-snapshot", rows, () -> snapshot(store, file), file);
      pg.psql("bench", "TRUNCATE state");
      measure("postgres-v2-restore", rows, () -> restore(store, file), file);
    }
    try (RedisServer redis = RedisServer.start();
        Jedis j = new Jedis(redis.host(), redis.port())) {
      byte[] value = new byte[valueBytes];
      java.util.Arrays.fill(value, (byte) 'x');
      Pipeline p = j.pipelined();
      for (int i = 1; i <= redisKeys; i++) {
        byte[] key = ("todo-app||TodoActor||" + (i % 1000) + "||k" + i).getBytes();
        p.hset(
            key, java.util.Map.of("data".getBytes(), value, "version".getBytes(), "1".getBytes()));
        if (i % 10 == 0) {
          p.expire(key, 86400);
        }
        if (i % 1000 == 0) {
          p.sync();
        }
      }
      p.sync();
      RedisStateStore store =
          new RedisStateStore(() -> new Jedis(redis.host(), redis.port()), "bench");
      Path file = out.resolve("redis.dss");
      measure("redis-snapshot", redisKeys, () -> snapshot(store, file), file);
      j.flushAll();
      measure("redis-restore", redisKeys, () -> restore(store, file), file);
    }
  }

  private interface Work {
    void run() throws Exception;
  }

  private static void measure(String name, long items, Work work, Path file) throws Exception {
    long start = System.nanoTime();
    work.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    double mib = Files.size(file) / 1048576.0;
    System.out.printf(
        Locale.ROOT,
        "%-22s %10d %9.2f %10.0f %9.1f%n",
        name,
        items,
        seconds,
        items / seconds,
        mib / seconds);
  }

  private static void snapshot(StateStore store, Path file) throws Exception {
    try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        SnapshotFormat.Writer w = new SnapshotFormat.Writer(o, store.describe())) {
      store.snapshot(KeyFilter.ALL, w);
      w.finish();
    }
  }

  private static void restore(StateStore store, Path file) throws Exception {
    try (InputStream i = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        SnapshotFormat.Reader r = new SnapshotFormat.Reader(i, file.toString())) {
      store.restore(r, KeyFilter.ALL, false);
    }
  }
}
