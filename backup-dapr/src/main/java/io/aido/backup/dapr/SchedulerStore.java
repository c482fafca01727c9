package io.aido.backup.dapr;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The reminders and jobs in the Dapr Scheduler's etcd ({@link SchedulerKey} has the key layout),
 * read and written with jetcd.
 *
 * <p>Consistency: a snapshot is a range read of {@code dapr/jobs/} and {@code dapr/counters/} at
 * one etcd revision (the first page's), in pages of {@value #PAGE} keys: every page sees the store
 * as it was at that revision, whatever the Scheduler writes meanwhile. If etcd compacts that
 * revision away before the last page (Dapr's Scheduler compacts periodically), the read fails
 * ("required revision has been compacted") and no record is written; the next run succeeds.
 *
 * <p>Each entry is written to a {@link SnapshotFormat} stream as a {@link StateEntry}: the key and
 * value bytes as etcd holds them; an entry under a lease also gets its expiry ({@code now + TTL})
 * and the lease id (extra field {@code lease}), so entries that shared a lease share one again
 * after a restore. Dapr 1.15's jobs and counters carry no lease; the code keeps one where used.
 *
 * <p>A restore refuses, before writing, a Scheduler that holds entries in scope unless {@code
 * clean}, which first deletes exactly those. It writes in transactions of {@value #BATCH} keys,
 * each conditional on none of its keys existing, so an entry the Scheduler created since the check
 * is never overwritten (the restore then stops with {@link StateStore.LiveDataException}; what was
 * written stays, and a second run with {@code --clean} completes it). Entries whose lease expired
 * since the snapshot are not written. A write through any member goes through the cluster's leader,
 * so one endpoint is enough; with several, jetcd fails over between them.
 */
public final class SchedulerStore implements AutoCloseable {
  static final int PAGE = 1000;
  static final int BATCH = 100;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Client client;
  private final String where;

  /**
   * @param client a jetcd client; closed with this store
   * @param where what the client reaches, for messages (no credentials)
   */
  public SchedulerStore(Client client, String where) {
    this.client = client;
    this.where = where;
  }

  /**
   * The PEM files for an etcd that serves clients over TLS.
   *
   * @param ca the CA that signed the server's certificate, or null for the JVM's trusted CAs
   * @param cert the client certificate, or null when the server asks for none
   * @param key the client certificate's private key (PKCS#8), with {@code cert}
   */
  public record Tls(Path ca, Path cert, Path key) {}

  /**
   * A store reached at {@code endpoints}; {@code https://} ones with {@code tls} (null: plaintext).
   *
   * @throws IOException if the TLS files cannot be read
   */
  public static SchedulerStore connect(List<String> endpoints, String where, Tls tls)
      throws IOException {
    ClientBuilder builder =
        Client.builder()
            .endpoints(endpoints.toArray(String[]::new))
            .connectTimeout(Duration.ofSeconds(10))
            // fail (after jetcd's retries) rather than wait for a server that refuses us
            .waitForReady(false)
            .retryMaxDuration(Duration.ofSeconds(30));
    if (tls != null) {
      try {
        builder.sslContext(
            b -> {
              if (tls.ca() != null) {
                b.trustManager(tls.ca().toFile());
              }
              if (tls.cert() != null) {
                b.keyManager(tls.cert().toFile(), tls.key().toFile());
              }
            });
      } catch (IOException | IllegalArgumentException e) {
        throw new IOException(
            "unable to read the TLS files for the Dapr Scheduler at "
                + where
                + ": "
                + e.getMessage(),
            e);
      }
    }
    return new SchedulerStore(builder.build(), where);
  }

  /** What a snapshot read. */
  public record SnapshotStats(SchedulerCounts counts, long revision, long leased, long expired) {}

  /** What a restore wrote. */
  public record RestoreStats(
      SchedulerCounts counts,
      long expiredSinceSnapshot,
      long removed,
      long duePassed,
      long leases) {}

  /** The snapshot's header facts. */
  public Map<String, Object> describe() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("type", "dapr-scheduler");
    d.put("layout", "go-etcd-cron");
    d.put("prefixes", List.of(SchedulerKey.JOBS, SchedulerKey.COUNTERS));
    return d;
  }

  /**
   * Writes the entries in {@code namespaces} (empty: all) covered by {@code filter}; does not
   * finish the writer.
   *
   * @throws IOException if etcd cannot be read, or the revision was compacted mid-read
   */
  public SnapshotStats snapshot(
      Collection<String> namespaces, KeyFilter filter, SnapshotFormat.Writer out, Instant now)
      throws IOException {
    SchedulerCounts counts = new SchedulerCounts();
    Map<Long, Instant> leaseExpiry = new HashMap<>();
    long[] revision = {0};
    long[] leased = {0};
    long[] expired = {0};
    for (String prefix : List.of(SchedulerKey.JOBS, SchedulerKey.COUNTERS)) {
      scan(
          prefix,
          false,
          revision,
          kv -> {
            Optional<SchedulerKey> key = SchedulerKey.classify(kv.getKey().toString());
            if (key.isEmpty() || !key.get().selected(namespaces, filter)) {
              return;
            }
            Instant expires = null;
            Map<String, byte[]> extra = Map.of();
            if (kv.getLease() != 0) {
              if (!leaseExpiry.containsKey(kv.getLease())) {
                leaseExpiry.put(kv.getLease(), expiry(kv.getLease(), now));
              }
              expires = leaseExpiry.get(kv.getLease());
              if (expires == null) {
                expired[0]++;
                return;
              }
              extra = Map.of("lease", ByteBuffer.allocate(8).putLong(kv.getLease()).array());
              leased[0]++;
            }
            out.write(
                new StateEntry(
                    kv.getKey().getBytes(),
                    kv.getValue().getBytes(),
                    null,
                    false,
                    expires,
                    null,
                    null,
                    extra));
            counts.add(key.get());
          });
    }
    return new SnapshotStats(counts, revision[0], leased[0], expired[0]);
  }

  /**
   * How many entries in scope the Scheduler holds now: a restore needs {@code --clean} unless 0.
   */
  public long liveEntries(Collection<String> namespaces, KeyFilter filter) throws IOException {
    return liveKeys(namespaces, filter).size();
  }

  /**
   * Writes the entries of {@code in} in scope back.
   *
   * @throws StateStore.LiveDataException if entries in scope exist and {@code clean} is false, or
   *     one appeared while writing
   * @throws IOException if {@code in} is not a Scheduler snapshot, or etcd fails
   */
  public RestoreStats restore(
      SnapshotFormat.Reader in,
      Collection<String> namespaces,
      KeyFilter filter,
      boolean clean,
      Instant now)
      throws IOException, StateStore.LiveDataException {
    if (!"dapr-scheduler".equals(in.header().get("type"))) {
      throw new IOException(
          "the snapshot is not of the Dapr Scheduler: " + in.header().get("type"));
    }
    List<ByteSequence> live = liveKeys(namespaces, filter);
    if (!live.isEmpty() && !clean) {
      throw new StateStore.LiveDataException(
          "the Dapr Scheduler at " + where + " holds " + live.size() + " entries in scope");
    }
    long removed = delete(live);
    SchedulerCounts counts = new SchedulerCounts();
    Map<Long, Long> leases = new HashMap<>();
    Set<String> duePassed = new HashSet<>();
    long expired = 0;
    List<Cmp> ifs = new ArrayList<>();
    List<Op> puts = new ArrayList<>();
    for (StateEntry e = in.next(); e != null; e = in.next()) {
      Optional<SchedulerKey> key = SchedulerKey.classify(e.keyText());
      if (key.isEmpty() || !key.get().selected(namespaces, filter)) {
        continue;
      }
      PutOption put = PutOption.DEFAULT;
      if (e.extraFields().containsKey("lease")) {
        long original = ByteBuffer.wrap(e.extraFields().get("lease")).getLong();
        if (e.expiresAt() == null || !e.expiresAt().isAfter(now)) {
          expired++;
          continue;
        }
        long ttl = Math.max(1, (Duration.between(now, e.expiresAt()).toMillis() + 999) / 1000);
        Long id = leases.get(original);
        if (id == null) {
          id = get(client.getLeaseClient().grant(ttl), "grant a lease").getID();
          leases.put(original, id);
        }
        put = PutOption.builder().withLeaseId(id).build();
      }
      if (key.get().counter()) {
        duePassed.remove(key.get().jobName());
      } else if (StoredJob.dueTime(e.value()).map(t -> t.isBefore(now)).orElse(false)) {
        duePassed.add(key.get().jobName());
      }
      ByteSequence k = ByteSequence.from(e.key());
      ifs.add(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)));
      puts.add(Op.put(k, ByteSequence.from(e.value()), put));
      counts.add(key.get());
      if (puts.size() == BATCH) {
        write(ifs, puts);
      }
    }
    if (!puts.isEmpty()) {
      write(ifs, puts);
    }
    return new RestoreStats(counts, expired, removed, duePassed.size(), leases.size());
  }

  /**
   * Deletes every entry in scope, in transactions of {@value #BATCH} keys; none is no error.
   *
   * @return how many were deleted
   * @throws IOException if etcd cannot be read or written
   */
  public long delete(Collection<String> namespaces, KeyFilter filter) throws IOException {
    return delete(liveKeys(namespaces, filter));
  }

  private long delete(List<ByteSequence> keys) throws IOException {
    for (int i = 0; i < keys.size(); i += BATCH) {
      List<Op> deletes = new ArrayList<>();
      for (ByteSequence k : keys.subList(i, Math.min(keys.size(), i + BATCH))) {
        deletes.add(Op.delete(k, DeleteOption.DEFAULT));
      }
      get(client.getKVClient().txn().Then(deletes.toArray(Op[]::new)).commit(), "delete");
    }
    return keys.size();
  }

  /**
   * How many keys of any kind the store holds under {@value SchedulerKey#ROOT}: jobs, counters, and
   * the partition claims of a running Scheduler. A scratch Scheduler for a drill holds none.
   */
  public long daprKeys() throws IOException {
    GetOption count = GetOption.builder().isPrefix(true).withCountOnly(true).build();
    ByteSequence root = ByteSequence.from(SchedulerKey.ROOT, StandardCharsets.UTF_8);
    return get(client.getKVClient().get(root, count), "count the keys").getCount();
  }

  private void write(List<Cmp> ifs, List<Op> puts)
      throws IOException, StateStore.LiveDataException {
    TxnResponse r =
        get(
            client
                .getKVClient()
                .txn()
                .If(ifs.toArray(Cmp[]::new))
                .Then(puts.toArray(Op[]::new))
                .commit(),
            "write");
    if (!r.isSucceeded()) {
      throw new StateStore.LiveDataException(
          "the Dapr Scheduler at "
              + where
              + " got an entry in scope while restoring; the entries before it were written");
    }
    ifs.clear();
    puts.clear();
  }

  private List<ByteSequence> liveKeys(Collection<String> namespaces, KeyFilter filter)
      throws IOException {
    List<ByteSequence> keys = new ArrayList<>();
    long[] revision = {0};
    for (String prefix : List.of(SchedulerKey.JOBS, SchedulerKey.COUNTERS)) {
      scan(
          prefix,
          true,
          revision,
          kv -> {
            Optional<SchedulerKey> key = SchedulerKey.classify(kv.getKey().toString());
            if (key.isPresent() && key.get().selected(namespaces, filter)) {
              keys.add(kv.getKey());
            }
          });
    }
    return keys;
  }

  private interface KvConsumer {
    void accept(KeyValue kv) throws IOException;
  }

  /** Pages through {@code prefix} at {@code revision[0]} (set from the first page when 0). */
  private void scan(String prefix, boolean keysOnly, long[] revision, KvConsumer consumer)
      throws IOException {
    KV kv = client.getKVClient();
    ByteSequence end =
        ByteSequence.from(SchedulerKey.prefixEnd(prefix.getBytes(StandardCharsets.UTF_8)));
    ByteSequence start = ByteSequence.from(prefix, StandardCharsets.UTF_8);
    while (true) {
      GetOption.Builder option =
          GetOption.builder().withRange(end).withLimit(PAGE).withKeysOnly(keysOnly);
      if (revision[0] > 0) {
        option.withRevision(revision[0]);
      }
      GetResponse page = get(kv.get(start, option.build()), "read " + prefix);
      if (revision[0] == 0) {
        revision[0] = page.getHeader().getRevision();
      }
      List<KeyValue> kvs = page.getKvs();
      for (KeyValue k : kvs) {
        consumer.accept(k);
      }
      if (!page.isMore() || kvs.isEmpty()) {
        return;
      }
      byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
      byte[] next = new byte[last.length + 1];
      System.arraycopy(last, 0, next, 0, last.length);
      start = ByteSequence.from(next);
    }
  }

  /** The lease's expiry, or null if it has expired. */
  private Instant expiry(long lease, Instant now) throws IOException {
    long ttl =
        get(client.getLeaseClient().timeToLive(lease, LeaseOption.DEFAULT), "read a lease")
            .getTTL();
    return ttl <= 0 ? null : now.plusSeconds(ttl);
  }

  private <T> T get(CompletableFuture<T> f, String what) throws IOException {
    return EtcdCalls.get(f, what, where, TIMEOUT);
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "SchedulerStore[" + where + "]";
  }
}
