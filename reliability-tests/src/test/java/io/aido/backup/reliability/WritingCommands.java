package io.aido.backup.reliability;

import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Catalog;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.manifests.MockCluster;
import io.aido.backup.postgres.wal.ArchivedWal;
import io.aido.backup.postgres.wal.WalArchive;
import io.aido.backup.postgres.wal.WalSegment;
import io.aido.backup.testing.CommandRun;
import io.aido.backup.testing.PgCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The writing commands that {@link StorageFaultsIT} does not cover ({@code snapshot}, {@code
 * export}, {@code wal-archive}, {@code replicate}, {@code rewrap}), run in-process against one
 * PostgreSQL server (database, Dapr state store and WAL source), a Kubernetes API (fabric8's mock
 * server: no API server runs on the build machine) and a keyset, with the checks every storage
 * fault test makes of what a run left.
 */
final class WritingCommands implements AutoCloseable {
  static final String PASSWORD = "Writing-commands-pw";

  final PgCluster pg;
  final DaprCluster dapr;
  final MockCluster cluster;
  final Path keyset;

  /** A plain {@code file://} repository with database backups, the primary of {@code replicate}. */
  final Path primary;

  private WritingCommands(Path dir) throws Exception {
    pg =
        PgCluster.builder()
            .superuserPassword(PASSWORD)
            .walLevel("replica")
            .maxWalSenders(4)
            .setting("max_replication_slots", "4")
            .start();
    pg.createDatabase("todo");
    pg.psql(
        "todo",
        "CREATE TABLE items (id int PRIMARY KEY, body text);"
            + "INSERT INTO items SELECT i, md5(random()::text) || md5(random()::text)"
            + " FROM generate_series(1, 5000) i;");
    dapr = DaprCluster.start(pg, PASSWORD, 800);
    cluster = MockCluster.start();
    try (KubernetesClient client = cluster.client()) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName("todo").endMetadata().build())
          .create();
      for (int i = 0; i < 30; i++) {
        client
            .configMaps()
            .inNamespace("todo")
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("settings-" + i)
                    .endMetadata()
                    .addToData("body", noise(3000))
                    .build())
            .create();
      }
    }
    keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
    primary = dir.resolve("primary");
  }

  /** {@code bytes} random bytes as base64: data that does not compress away. */
  private static String noise(int bytes) {
    byte[] b = new byte[bytes];
    new Random().nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  static WritingCommands start(Path dir) throws Exception {
    return new WritingCommands(dir);
  }

  /** The environment of every job, against the repository at {@code url}. */
  Map<String, String> env(String url) {
    Map<String, String> env = new HashMap<>(pg.env());
    env.put("BACKUP_STORAGE_URL", url);
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_LOG_FORMAT", "text");
    env.put("PG_BIN_DIR", pg.binDir().toString());
    env.put("BACKUP_CLUSTER_NAME", "storage-faults");
    return env;
  }

  CommandRun backup(String url) {
    return CommandRun.of(
        new io.aido.backup.db.Main()::execute, env(url), "backup", "--database", "todo");
  }

  CommandRun snapshot(String url) {
    Map<String, String> env = env(url);
    env.putAll(dapr.env());
    return CommandRun.of(
        new io.aido.backup.dapr.Main()::execute, env, "snapshot", "--scheduler", "off");
  }

  CommandRun export(String url) {
    return CommandRun.of(
        new io.aido.backup.manifests.Main(cluster.clients())::execute,
        env(url),
        "export",
        "--namespace",
        "todo",
        "--page-size",
        "5");
  }

  CommandRun walArchive(String url) {
    return CommandRun.of(new io.aido.backup.db.Main()::execute, env(url), "wal-archive");
  }

  /** {@code replicate} of {@link #primary} into {@code url}. */
  CommandRun replicate(String url) {
    return CommandRun.of(
        new io.aido.backup.retention.Main()::execute,
        env(primary.toUri().toString()),
        "replicate",
        "--secondary-url",
        url);
  }

  CommandRun rewrap(String url) {
    return CommandRun.of(new io.aido.backup.db.Main()::execute, env(url), "rewrap");
  }

  CommandRun verifyAll(String url) {
    return CommandRun.of(
        new io.aido.backup.verify.Main()::execute, env(url), "verify", "--all", "--no-freshness");
  }

  /** A new WAL segment to archive. */
  void newWal() {
    pg.psql(
        "todo",
        "INSERT INTO items SELECT i, 'x' FROM generate_series(1000000 + (SELECT count(*) FROM"
            + " items), 1000000 + (SELECT count(*) FROM items) + 500) i; SELECT pg_switch_wal();");
  }

  /** A new key-encryption key in the keyset, so that {@code rewrap} has every key to move. */
  void rotateKeyset() {
    try {
      KeyEncryptionKeys.rotateKeysetFile(keyset);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The listed backups' ids. */
  static List<String> listed(BlobStore store) throws IOException {
    return new Catalog(store)
        .list(null).stream().map(BackupRecord::id).map(Object::toString).toList();
  }

  /** The archived WAL objects and their sizes. */
  static Map<String, Long> walObjects(BlobStore store) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    for (ArchivedWal w : WalArchive.list(store, WalSegment.DEFAULT_SIZE)) {
      out.put(w.key().name(), store.stat(w.key()).orElseThrow().size());
    }
    return out;
  }

  /**
   * Fetches every archived WAL object as {@code restore-pitr} would, so that a visible object that
   * is not whole (short, cut, not what its header says) fails; returns how many were read.
   */
  int fetchEveryWal(BlobStore store, Path scratch) throws Exception {
    WalArchive archive = new WalArchive(store, new Pipeline(PipelineSettings.defaults()));
    var kek = KeyEncryptionKeys.open(keyset.toString());
    var keys = WalArchive.keyCache();
    Files.createDirectories(scratch);
    int n = 0;
    for (ArchivedWal w : archive.list(WalSegment.DEFAULT_SIZE)) {
      Path target = scratch.resolve("segment-" + n++);
      archive.fetch(w, kek, target, keys);
      Files.delete(target);
    }
    return n;
  }

  @Override
  public void close() {
    cluster.close();
    dapr.close();
    pg.close();
  }
}
