package io.aido.backup.dapr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Dapr's Redis state store ({@code state.redis}): each item is a hash at its key with the fields
 * {@code data} (the value's bytes) and {@code version} (the ETag, an integer Dapr increments), and
 * {@code first-write} for first-write concurrency; a TTL is the key's expiry.
 *
 * <p>Consistency: Redis has no snapshot a client can read in; the keys are walked with {@code
 * SCAN}, and each batch of keys is read in one {@code MULTI}/{@code EXEC} (every field and the
 * remaining TTL at one instant). A key that exists for the whole walk is in the snapshot exactly
 * once, as it was at one moment; a key written or deleted during the walk may be in it or not, and
 * two keys written by one Dapr transaction may be read at different moments. Expiry times come from
 * the server's clock ({@code TIME} plus {@code PTTL}). Keys that are not hashes (Dapr's RedisJSON
 * mode, other data in the same database) are left out and counted.
 *
 * <p>A restore writes each item with {@code HSET} of the same fields and {@code PEXPIREAT} of the
 * same expiry, in pipelined batches; it is not atomic: after a failure, run it again with {@code
 * --clean}.
 */
public final class RedisStateStore implements StateStore {
  private static final byte[] DATA = "data".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VERSION = "version".getBytes(StandardCharsets.UTF_8);
  private static final int BATCH = 500;

  private final Supplier<Jedis> connector;
  private final String server;
  private long notHashes;

  /**
   * @param connector opens a connection, authenticated and on the right database
   * @param server {@code host:port/db}, for messages (no credentials)
   */
  public RedisStateStore(Supplier<Jedis> connector, String server) {
    this.connector = connector;
    this.server = server;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("type", "state.redis");
    d.put("layout", "hash");
    return d;
  }

  /** Keys of the last snapshot that were not hashes and were left out. */
  public long notHashesLeftOut() {
    return notHashes;
  }

  @Override
  public SnapshotStats snapshot(KeyFilter filter, SnapshotFormat.Writer out) throws IOException {
    KeyCounts counts = new KeyCounts();
    notHashes = 0;
    try (Jedis jedis = connector.get()) {
      byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
      ScanParams params = new ScanParams().count(BATCH);
      do {
        ScanResult<byte[]> page = jedis.scan(cursor, params);
        cursor = page.getCursorAsBytes();
        List<byte[]> keys = new ArrayList<>();
        List<DaprKey> classes = new ArrayList<>();
        for (byte[] key : page.getResult()) {
          DaprKey dk = DaprKey.classify(new String(key, StandardCharsets.UTF_8));
          if (filter.all() || filter.matches(dk)) {
            keys.add(key);
            classes.add(dk);
          }
        }
        if (keys.isEmpty()) {
          continue;
        }
        Pipeline typing = jedis.pipelined();
        List<Response<String>> types = new ArrayList<>();
        for (byte[] key : keys) {
          types.add(typing.type(key));
        }
        typing.sync();
        Transaction tx = jedis.multi();
        Response<Object> time = tx.sendCommand(Protocol.Command.TIME, new byte[0][]);
        List<Response<Map<byte[], byte[]>>> hashes = new ArrayList<>();
        List<Response<Long>> ttls = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
          boolean hash = "hash".equals(types.get(i).get());
          if (!hash && !"none".equals(types.get(i).get())) {
            notHashes++;
          }
          hashes.add(hash ? tx.hgetAll(keys.get(i)) : null);
          ttls.add(hash ? tx.pttl(keys.get(i)) : null);
        }
        tx.exec();
        Instant now = serverTime(time.get());
        for (int i = 0; i < keys.size(); i++) {
          if (hashes.get(i) == null) {
            continue;
          }
          Map<byte[], byte[]> fields;
          try {
            fields = hashes.get(i).get();
          } catch (JedisDataException e) {
            notHashes++; // its type changed since TYPE
            continue;
          }
          if (fields == null || fields.isEmpty()) {
            continue; // deleted or expired since SCAN
          }
          out.write(entry(keys.get(i), fields, ttls.get(i).get(), now));
          counts.add(classes.get(i));
        }
      } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    } catch (JedisException e) {
      throw failed("read", e);
    }
    return new SnapshotStats(counts, 0);
  }

  private static StateEntry entry(byte[] key, Map<byte[], byte[]> fields, Long pttl, Instant now) {
    byte[] data = null;
    String version = null;
    Map<String, byte[]> extras = new HashMap<>();
    for (Map.Entry<byte[], byte[]> f : fields.entrySet()) {
      if (Arrays.equals(f.getKey(), DATA)) {
        data = f.getValue();
      } else if (Arrays.equals(f.getKey(), VERSION)) {
        version = new String(f.getValue(), StandardCharsets.UTF_8);
      } else {
        extras.put(new String(f.getKey(), StandardCharsets.UTF_8), f.getValue());
      }
    }
    Instant expires = pttl != null && pttl >= 0 ? now.plusMillis(pttl) : null;
    return new StateEntry(
        key, data == null ? new byte[0] : data, version, false, expires, null, null, extras);
  }

  @Override
  public RestoreStats restore(SnapshotFormat.Reader in, KeyFilter filter, boolean clean)
      throws IOException, LiveDataException {
    Object type = in.header().get("type");
    if (!"state.redis".equals(type)) {
      throw new IOException(
          "unable to restore a " + type + " snapshot into the Redis store " + server);
    }
    KeyCounts counts = new KeyCounts();
    long expired = 0;
    long removed = 0;
    try (Jedis jedis = connector.get()) {
      List<byte[]> live = liveKeys(jedis, filter);
      if (!live.isEmpty() && !clean) {
        throw new LiveDataException(
            "the Redis store "
                + server
                + " holds "
                + live.size()
                + " key(s) in the restore's scope; give --clean to replace them");
      }
      for (int i = 0; i < live.size(); i += BATCH) {
        List<byte[]> batch = live.subList(i, Math.min(live.size(), i + BATCH));
        removed += jedis.del(batch.toArray(new byte[0][]));
      }
      Instant now = serverTime(jedis.time());
      Pipeline p = jedis.pipelined();
      int pending = 0;
      for (StateEntry e = in.next(); e != null; e = in.next()) {
        DaprKey dk = DaprKey.classify(e.keyText());
        if (!filter.all() && !filter.matches(dk)) {
          continue;
        }
        if (e.expiredAt(now)) {
          expired++;
          continue;
        }
        Map<byte[], byte[]> fields = new LinkedHashMap<>();
        fields.put(DATA, e.value());
        if (e.etag() != null) {
          fields.put(VERSION, e.etag().getBytes(StandardCharsets.UTF_8));
        }
        e.extraFields().forEach((k, v) -> fields.put(k.getBytes(StandardCharsets.UTF_8), v));
        p.hset(e.key(), fields);
        if (e.expiresAt() != null) {
          p.pexpireAt(e.key(), e.expiresAt().toEpochMilli());
        }
        counts.add(dk);
        if (++pending == BATCH) {
          p.sync();
          pending = 0;
        }
      }
      p.sync();
    } catch (JedisException e) {
      throw failed("write", e);
    }
    return new RestoreStats(counts, expired, removed, true);
  }

  @Override
  public void check() throws IOException {
    try (Jedis jedis = connector.get()) {
      jedis.ping();
    } catch (JedisException e) {
      String m = String.valueOf(e.getMessage());
      if (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.startsWith("ERR AUTH")) {
        throw new CredentialsRefusedException(
            "Redis state store "
                + server
                + " refused the Component's redisPassword (or redisUsername): "
                + m,
            e);
      }
      throw failed("connect to", e);
    }
  }

  @Override
  public long liveKeys(KeyFilter filter) throws IOException {
    try (Jedis jedis = connector.get()) {
      return liveKeys(jedis, filter).size();
    } catch (JedisException e) {
      throw failed("read", e);
    }
  }

  private static List<byte[]> liveKeys(Jedis jedis, KeyFilter filter) {
    List<byte[]> live = new ArrayList<>();
    byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
    ScanParams params = new ScanParams().count(BATCH);
    do {
      ScanResult<byte[]> page = jedis.scan(cursor, params);
      cursor = page.getCursorAsBytes();
      for (byte[] key : page.getResult()) {
        if (filter.matches(new String(key, StandardCharsets.UTF_8))) {
          live.add(key);
        }
      }
    } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    return live;
  }

  private static Instant serverTime(List<String> time) {
    return Instant.ofEpochSecond(Long.parseLong(time.get(0)), Long.parseLong(time.get(1)) * 1000L);
  }

  /** A raw TIME reply from inside a transaction: two bulk strings. */
  private static Instant serverTime(Object reply) {
    List<String> parts = new ArrayList<>();
    for (Object o : (List<?>) reply) {
      parts.add(
          o instanceof byte[] b ? new String(b, StandardCharsets.US_ASCII) : String.valueOf(o));
    }
    return serverTime(parts);
  }

  private IOException failed(String verb, JedisException e) {
    return new IOException(
        "unable to " + verb + " Redis state store " + server + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "RedisStateStore[" + server + "]";
  }
}
