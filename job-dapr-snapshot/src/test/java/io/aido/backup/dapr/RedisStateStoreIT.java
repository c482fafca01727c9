package io.aido.backup.dapr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.aido.backup.dapr.StateStore.LiveDataException;
import io.aido.backup.dapr.StateStore.RestoreStats;
import io.aido.backup.dapr.StateStore.SnapshotStats;
import io.aido.backup.testing.RedisServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The Redis state store against a real Redis holding hashes shaped as Dapr's Redis state store
 * writes them ({@code data}, {@code version}, {@code first-write}, a key expiry for a TTL): state
 * keys, actor state for two actor types, binary values, ETags and TTLs. Snapshot, wipe, restore,
 * and every key, field and remaining TTL matches.
 */
class RedisStateStoreIT {
  private static RedisServer redis;

  @BeforeAll
  static void start() {
    redis = RedisServer.start();
  }

  @AfterAll
  static void stop() {
    redis.close();
  }

  private Jedis jedis() {
    return new Jedis(redis.host(), redis.port());
  }

  private RedisStateStore store() {
    return new RedisStateStore(this::jedis, redis.host() + ":" + redis.port() + "/0");
  }

  @BeforeEach
  void fill() {
    try (Jedis j = jedis()) {
      j.flushAll();
      daprSet(j, "todo-app||cart", "{\"items\":[1,2]}".getBytes(StandardCharsets.UTF_8), 3, 0);
      daprSet(j, "todo-app||photo", new byte[] {0, (byte) 0xff, 0x10, (byte) 0x80, 0x7f}, 1, 0);
      daprSet(j, "todo-app||session", "{\"u\":\"ann\"}".getBytes(StandardCharsets.UTF_8), 2, 3600);
      daprSet(j, "chat-app||history", "[]".getBytes(StandardCharsets.UTF_8), 7, 0);
      daprSet(j, "todo-app||TodoActor||t1||todos", "[1]".getBytes(StandardCharsets.UTF_8), 1, 0);
      daprSet(j, "todo-app||TodoActor||t2||todos", "[2]".getBytes(StandardCharsets.UTF_8), 4, 900);
      daprSet(j, "todo-app||TimerActor||x||state", new byte[] {1, 2, 3, 0}, 12, 0);
      j.hset(
          "todo-app||first".getBytes(StandardCharsets.UTF_8),
          "first-write".getBytes(),
          "0".getBytes());
      daprSet(j, "todo-app||first", "1".getBytes(StandardCharsets.UTF_8), 1, 0);
      j.set("not-dapr-string", "x");
    }
  }

  /** What Dapr's set script leaves: data, version (incremented per write), then EXPIRE. */
  private static void daprSet(Jedis j, String key, byte[] data, int version, int ttlSeconds) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    j.hset(k, "data".getBytes(StandardCharsets.UTF_8), data);
    j.hset(k, "version".getBytes(StandardCharsets.UTF_8), Integer.toString(version).getBytes());
    if (ttlSeconds > 0) {
      j.expire(k, ttlSeconds);
    }
  }

  /** Every hash: key → (field → hex value), and key → PTTL. */
  private record Content(Map<String, Map<String, String>> hashes, Map<String, Long> pttls) {}

  private Content content() {
    Map<String, Map<String, String>> hashes = new TreeMap<>();
    Map<String, Long> pttls = new HashMap<>();
    try (Jedis j = jedis()) {
      for (String key : j.keys("*")) {
        if (!j.type(key).equals("hash")) {
          continue;
        }
        Map<String, String> fields = new TreeMap<>();
        j.hgetAll(key.getBytes(StandardCharsets.UTF_8))
            .forEach(
                (f, v) ->
                    fields.put(new String(f, StandardCharsets.UTF_8), HexFormat.of().formatHex(v)));
        hashes.put(key, fields);
        pttls.put(key, j.pttl(key));
      }
    }
    return new Content(hashes, pttls);
  }

  private record Snap(byte[] bytes, SnapshotStats stats) {}

  private Snap snapshot(KeyFilter filter) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RedisStateStore store = store();
    SnapshotStats stats;
    try (SnapshotFormat.Writer w = new SnapshotFormat.Writer(bytes, store.describe())) {
      stats = store.snapshot(filter, w);
      w.finish();
    }
    return new Snap(bytes.toByteArray(), stats);
  }

  private RestoreStats restore(byte[] snap, KeyFilter filter, boolean clean)
      throws IOException, LiveDataException {
    try (SnapshotFormat.Reader r =
        new SnapshotFormat.Reader(new ByteArrayInputStream(snap), "test")) {
      return store().restore(r, filter, clean);
    }
  }

  @Test
  void snapshotWipeRestore_everyHashFieldEtagAndTtlMatches() throws Exception {
    Content before = content();
    long started = System.currentTimeMillis();
    Snap snap = snapshot(KeyFilter.ALL);

    KeyCounts c = snap.stats().counts();
    assertThat(c.total()).isEqualTo(8);
    assertThat(c.byKind()).isEqualTo(Map.of("state", 5L, "actor", 3L));
    assertThat(c.byActorType()).isEqualTo(Map.of("TodoActor", 2L, "TimerActor", 1L));
    assertThat(c.byApp()).isEqualTo(Map.of("todo-app", 7L, "chat-app", 1L));
    try (Jedis j = jedis()) {
      j.flushAll();
    }

    RestoreStats r = restore(snap.bytes(), KeyFilter.ALL, false);
    long elapsed = System.currentTimeMillis() - started;

    assertThat(r.counts()).isEqualTo(c);
    assertThat(r.etagsKept()).isTrue();
    Content after = content();
    assertThat(after.hashes()).isEqualTo(before.hashes());
    assertThat(after.hashes().get("todo-app||photo").get("data")).isEqualTo("00ff10807f");
    assertThat(after.hashes().get("todo-app||first")).containsEntry("first-write", "30");
    for (String key : before.pttls().keySet()) {
      long was = before.pttls().get(key);
      long is = after.pttls().get(key);
      if (was < 0) {
        assertThat(is).as("no TTL on %s", key).isEqualTo(-1);
      } else {
        assertThat(is).as("remaining TTL of %s", key).isBetween(was - elapsed - 1000, was);
      }
    }
  }

  @Test
  void restore_intoLiveStore_refusedUnchanged_cleanReplacesOnlyTheScope() throws Exception {
    Snap todo = snapshot(KeyFilter.of(List.of("todo-app"), List.of()));
    assertThat(todo.stats().counts().byApp()).isEqualTo(Map.of("todo-app", 7L));
    try (Jedis j = jedis()) {
      daprSet(j, "todo-app||cart", "changed".getBytes(StandardCharsets.UTF_8), 99, 0);
      daprSet(j, "chat-app||history", "changed".getBytes(StandardCharsets.UTF_8), 99, 0);
    }
    Content live = content();

    assertThatThrownBy(() -> restore(todo.bytes(), KeyFilter.of(List.of("todo-app"), null), false))
        .isInstanceOf(LiveDataException.class)
        .hasMessageContaining("holds 7 key(s) in the restore's scope");
    assertThat(content().hashes()).isEqualTo(live.hashes());

    RestoreStats r = restore(todo.bytes(), KeyFilter.of(List.of("todo-app"), null), true);

    assertThat(r.removed()).isEqualTo(7);
    Content after = content();
    assertThat(after.hashes().get("todo-app||cart").get("version")).isEqualTo("33"); // "3"
    assertThat(after.hashes().get("chat-app||history").get("version")).isEqualTo("3939");
  }

  @Test
  void snapshot_actorTypeFilter_keepsOnlyThatType() throws Exception {
    Snap snap = snapshot(KeyFilter.of(null, List.of("TimerActor")));

    assertThat(snap.stats().counts().total()).isEqualTo(1);
    assertThat(snap.stats().counts().byActorType()).isEqualTo(Map.of("TimerActor", 1L));
  }

  @Test
  void snapshot_nonHashKey_leftOutAndCounted() throws Exception {
    RedisStateStore store = store();
    try (SnapshotFormat.Writer w =
        new SnapshotFormat.Writer(new ByteArrayOutputStream(), store.describe())) {
      store.snapshot(KeyFilter.ALL, w);
    }

    assertThat(store.notHashesLeftOut()).isEqualTo(1);
  }

  @Test
  void restore_expiredSinceSnapshot_notWritten() throws Exception {
    try (Jedis j = jedis()) {
      j.pexpire("todo-app||session", 300);
    }
    Snap snap = snapshot(KeyFilter.ALL);
    try (Jedis j = jedis()) {
      j.flushAll();
    }
    Thread.sleep(400);

    RestoreStats r = restore(snap.bytes(), KeyFilter.ALL, false);

    assertThat(r.expiredSinceSnapshot()).isEqualTo(1);
    assertThat(content().hashes()).doesNotContainKey("todo-app||session");
  }

  @Test
  void snapshot_serverDown_failsNamingTheServer() {
    RedisStateStore dead =
        new RedisStateStore(
            () -> new Jedis("127.0.0.1", io.aido.backup.testing.FreePort.find()),
            "127.0.0.1:dead/0");

    assertThatThrownBy(() -> dead.snapshot(KeyFilter.ALL, null))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("unable to read Redis state store 127.0.0.1:dead/0");
  }
}
