package io.aido.backup.kubernetes.manifests;

import io.aido.backup.kubernetes.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Date;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The layout of a {@code manifests} archive, one tar stream (POSIX long names), entries in this
 * order:
 *
 * <pre>
 * types.json                                      the types exported (group, version, kind, plural, scope)
 * cluster/core/Namespace/&lt;ns&gt;.yaml                 the namespaces
 * cluster/&lt;group&gt;/&lt;kind&gt;/&lt;name&gt;.yaml              cluster-scoped objects
 * namespaces/&lt;ns&gt;/&lt;group&gt;/&lt;kind&gt;/&lt;name&gt;.yaml      namespaced objects ({@code core} for the core group)
 * helm/&lt;ns&gt;/&lt;release&gt;/&lt;revision&gt;/values.yaml     user-supplied values of a Helm release revision
 * helm/&lt;ns&gt;/&lt;release&gt;/&lt;revision&gt;/release.yaml    its chart, version and status
 * index.json                                      counts per kind, skipped objects, Helm releases
 * </pre>
 *
 * <p>Objects come in {@link ApplyOrder}; a Helm tree follows the Secret it was decoded from.
 */
public final class ManifestArchive {
  public static final String PART = "manifests.tar";
  public static final String TYPES = "types.json";
  public static final String INDEX = "index.json";

  private ManifestArchive() {}

  /** Where an object goes in the archive. */
  public static String objectPath(ResourceType type, GenericKubernetesResource object) {
    String name = object.getMetadata().getName();
    if (type.namespaced()) {
      return "namespaces/"
          + object.getMetadata().getNamespace()
          + "/"
          + type.groupName()
          + "/"
          + type.kind()
          + "/"
          + name
          + ".yaml";
    }
    return "cluster/" + type.groupName() + "/" + type.kind() + "/" + name + ".yaml";
  }

  public static String helmPath(HelmRelease release, String namespace, String file) {
    return "helm/" + namespace + "/" + release.name() + "/" + release.revision() + "/" + file;
  }

  /** Writes entries to a stream; {@link #finish} ends the tar without closing the stream. */
  public static final class Writer {
    private final TarArchiveOutputStream tar;
    private final Date time;

    public Writer(OutputStream out, Instant time) {
      this.tar = new TarArchiveOutputStream(out, "UTF-8");
      this.tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      this.tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      this.time = Date.from(time);
    }

    public void add(String path, byte[] content) throws IOException {
      TarArchiveEntry entry = new TarArchiveEntry(path, true);
      entry.setSize(content.length);
      entry.setModTime(time);
      entry.setMode(0100600);
      tar.putArchiveEntry(entry);
      tar.write(content);
      tar.closeArchiveEntry();
    }

    public void finish() throws IOException {
      tar.finish();
    }
  }

  /** Reads entries one by one from a stream. */
  public static final class Reader implements Closeable {
    private final InputStream raw;
    private final TarArchiveInputStream tar;

    public Reader(InputStream in) {
      this.raw = in;
      this.tar = new TarArchiveInputStream(in, "UTF-8");
    }

    /** The next entry's path, or null at the end; its content is {@link #content()}. */
    public String next() throws IOException {
      TarArchiveEntry entry;
      do {
        entry = tar.getNextEntry();
      } while (entry != null && !entry.isFile());
      return entry == null ? null : entry.getName();
    }

    /** The current entry's bytes (one object or file, never the whole archive). */
    public byte[] content() throws IOException {
      return tar.readAllBytes();
    }

    /**
     * Reads what is left, past the tar's end marker to the end of the stream, so that the part's
     * check against its record (size and SHA-256, at end of stream) runs.
     */
    public void drain() throws IOException {
      while (next() != null) {
        tar.transferTo(OutputStream.nullOutputStream());
      }
      raw.transferTo(OutputStream.nullOutputStream());
    }

    @Override
    public void close() throws IOException {
      tar.close();
    }
  }
}
