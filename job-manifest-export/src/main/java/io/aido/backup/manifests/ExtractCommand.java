package io.aido.backup.manifests;

import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.PartRecord;
import io.aido.backup.core.cli.ExitCodes;
import io.aido.backup.core.cli.JobException;
import io.aido.backup.core.config.BackupIdOptions;
import io.aido.backup.core.config.ConfigProblems;
import io.aido.backup.core.config.EnvironmentDefaults;
import io.aido.backup.core.config.RepositoryOptions;
import io.aido.backup.core.observability.AuditAction;
import io.aido.backup.core.repository.BackupReader;
import io.aido.backup.core.repository.Repository;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.kubernetes.manifests.ManifestArchive;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code extract}: writes the entries of a {@code manifests} backup whose path starts with a prefix
 * (by default the Helm tree, {@code helm/}) into a new directory, so that a person can read and
 * diff them. Files are readable by their owner only (values may hold passwords); the read is
 * audited. Never touches a cluster.
 */
@Command(
    name = "extract",
    description = {
      "Write part of a manifests backup into a new directory to read it: by default the Helm"
          + " tree helm/<namespace>/<release>/<revision>/{values,release}.yaml, so the values of"
          + " revisions can be compared (diff -r). Files are created readable by their owner only."
    })
public final class ExtractCommand extends ManifestCommand {

  @Mixin private RepositoryOptions repository;

  @Mixin BackupIdOptions backupId;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "A directory that does not exist yet, or is empty.")
  private Path out;

  @Option(
      names = "--prefix",
      paramLabel = "PATH",
      description =
          "Only entries whose path starts with this (default helm/; namespaces/todo/ for one"
              + " namespace's objects, Secrets included).")
  private String prefix;

  @Override
  protected boolean pushesMetrics() {
    return false;
  }

  @Override
  protected void validate(ConfigProblems problems) {
    if (out == null) {
      problems.add(EnvironmentDefaults.describe("--out"), "not set (a new directory)");
    } else if (Files.exists(out) && !isEmptyDirectory(out)) {
      problems.add(
          EnvironmentDefaults.describe("--out"),
          "'" + out + "' exists and is not an empty directory");
    }
    if (prefix == null || prefix.isBlank()) {
      prefix = "helm/";
    }
  }

  private static boolean isEmptyDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  protected int runManifests() throws Exception {
    BlobStore store = repository.openStore();
    Repository repo = openRepositoryToRead(store);
    BackupRecord record =
        backupId.latest()
            ? repo.catalog()
                .latest(BackupKind.MANIFESTS)
                .orElseThrow(
                    () -> JobException.badInput("the repository holds no manifests backup"))
            : repo.catalog()
                .find(backupId.id())
                .filter(r -> r.kind() == BackupKind.MANIFESTS)
                .orElseThrow(
                    () ->
                        JobException.badInput(
                            "no manifests backup " + backupId + " in the repository"));
    PartRecord part =
        record
            .part(ManifestArchive.PART)
            .orElseThrow(
                () ->
                    JobException.failed(
                        "backup " + record.id() + ": its record names no archive", null));
    BackupReader reader = openBackup(repo, record, repository.kek(), "read backup", "");
    audit(store)
        .record(
            AuditAction.READ,
            record.kind(),
            record.id(),
            Map.of("extract", prefix, "out", "" + out));
    Files.createDirectories(out);
    Path root = out.toRealPath();
    int written = 0;
    try (InputStream in = reader.openPart(part);
        ManifestArchive.Reader archive = new ManifestArchive.Reader(in)) {
      String path;
      while ((path = archive.next()) != null) {
        if (!path.startsWith(prefix)) {
          continue;
        }
        Path target = root.resolve(path).normalize();
        if (!target.startsWith(root)) {
          throw JobException.failed(
              "backup " + record.id() + ": entry '" + path + "' points outside --out", null);
        }
        Files.createDirectories(target.getParent());
        Files.createFile(
            target,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(target, archive.content());
        written++;
      }
      archive.drain();
    }
    out()
        .printf(
            "extracted %d file(s) of backup %s under %s into %s%n",
            written, record.id(), prefix, out);
    return ExitCodes.DONE;
  }
}
