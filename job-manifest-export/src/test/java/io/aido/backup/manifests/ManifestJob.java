package io.aido.backup.manifests;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.crypto.KeyEncryptionKeys;
import io.aido.backup.core.pipeline.Pipeline;
import io.aido.backup.core.pipeline.PipelineSettings;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStores;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import io.aido.backup.testing.CommandRun;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Runs the job in-process against a repository directory, a keyset and a mock cluster. */
final class ManifestJob {
  final Path repo;
  final Path keyset;
  final List<String> outputs = new ArrayList<>();
  final Map<String, String> extraEnv = new HashMap<>();

  ManifestJob(Path dir) throws Exception {
    this.repo = dir.resolve("repo");
    this.keyset = dir.resolve("keyset.json");
    KeyEncryptionKeys.generateKeysetFile(keyset);
  }

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("BACKUP_STORAGE_URL", repo.toUri().toString());
    env.put("BACKUP_KEK_URI", keyset.toString());
    env.put("BACKUP_CLUSTER_NAME", "test");
    env.putAll(extraEnv);
    return env;
  }

  CommandRun run(MockCluster cluster, String... args) {
    return run(cluster, env(), args);
  }

  CommandRun run(MockCluster cluster, Map<String, String> env, String... args) {
    CommandRun r = CommandRun.of(new Main(cluster.clients())::execute, env, args);
    outputs.add(r.out());
    outputs.add(r.err());
    return r;
  }

  Repository repository() throws Exception {
    return Repository.open(
        BlobStores.open(repo.toUri().toString()),
        new Pipeline(PipelineSettings.defaults()),
        Clock.systemUTC());
  }

  List<BackupRecord> records() throws Exception {
    return repository().catalog().list(BackupKind.MANIFESTS);
  }

  /** The entries of a backup's archive, in order, decrypted. */
  Map<String, byte[]> archive(BackupRecord record) throws Exception {
    BackupReader reader = repository().reader(record, KeyEncryptionKeys.openKeysetFile(keyset));
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (InputStream in = reader.openPart(record.part(ManifestArchive.PART).orElseThrow());
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        entries.put(e.getName(), tar.readAllBytes());
      }
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return entries;
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
