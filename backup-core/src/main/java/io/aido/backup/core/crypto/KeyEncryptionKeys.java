package io.aido.backup.core.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.proto.KeysetInfo;
import io.aido.backup.core.crypto.internal.TinkRegistration;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Opens and creates key-encryption keys.
 *
 * <p>A key is named by a URI:
 *
 * <ul>
 *   <li>{@code gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K}: a Cloud KMS key, used
 *       with the application default credentials (Workload Identity in GKE, or {@code
 *       GOOGLE_APPLICATION_CREDENTIALS}). Opening it checks the name and finds credentials but does
 *       not call KMS; the first wrap or unwrap does, and its failures name the key.
 *   <li>{@code file:///path/keyset.json} or a plain path: a cleartext Tink JSON keyset holding an
 *       AEAD key, as {@link #generateKeysetFile(Path)} writes it. Keep it in a Kubernetes Secret.
 *       Its id is {@code tink-keyset:<primary key id>}, the {@code primaryKeyId} in the file.
 * </ul>
 *
 * <p>Every message names the URI or file and the problem; none contains the file's content or key
 * material.
 *
 * <pre>{@code
 * KeyEncryptionKey kek = KeyEncryptionKeys.open(System.getenv("BACKUP_KEK_URI"));
 * }</pre>
 */
public final class KeyEncryptionKeys {
  /** The scheme of Cloud KMS key URIs. */
  public static final String GCP_KMS_PREFIX = "gcp-kms://";

  /** The prefix of the id of a key from a keyset file. */
  public static final String KEYSET_ID_PREFIX = "tink-keyset:";

  /** A keyset file is a few hundred bytes; anything much larger is not one. */
  private static final int MAX_KEYSET_FILE_BYTES = 64 * 1024;

  private static final Object ROTATION = new Object();

  private KeyEncryptionKeys() {}

  /**
   * Opens the key a URI names.
   *
   * @throws IOException if a keyset file is missing or unreadable
   * @throws GeneralSecurityException if a keyset file holds no usable AEAD keyset, a KMS URI is
   *     malformed, or no Google Cloud credentials are found
   */
  public static KeyEncryptionKey open(String uri) throws IOException, GeneralSecurityException {
    TinkRegistration.register();
    if (uri == null || uri.isBlank()) {
      throw new GeneralSecurityException(
          "unable to open key-encryption key: no key URI given (a gcp-kms:// URI or a keyset"
              + " file)");
    }
    if (uri.startsWith(GCP_KMS_PREFIX)) {
      return KmsKeys.open(uri);
    }
    return openKeysetFile(keysetPath(uri));
  }

  /**
   * The path of a {@code file:} URI or plain path.
   *
   * @throws IllegalArgumentException if a {@code file:} URI is malformed or not absolute
   */
  public static Path keysetPath(String uri) {
    if (uri.startsWith("file:")) {
      try {
        return Path.of(URI.create(uri));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "invalid keyset file URI '" + uri + "': " + e.getMessage(), e);
      }
    }
    return Path.of(uri);
  }

  /**
   * Opens a cleartext JSON keyset file.
   *
   * @throws IOException if the file is missing ({@link NoSuchFileException} as the cause), not
   *     readable, or too large to be a keyset
   * @throws GeneralSecurityException if it is not a cleartext Tink JSON keyset, or holds no AEAD
   *     key (for example a streaming AEAD or MAC keyset)
   */
  public static KeyEncryptionKey openKeysetFile(Path file)
      throws IOException, GeneralSecurityException {
    TinkRegistration.register();
    byte[] bytes = readSmallFile(file);
    KeysetHandle handle;
    try {
      handle =
          TinkJsonProtoKeysetFormat.parseKeyset(
              new String(bytes, StandardCharsets.UTF_8), InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException | RuntimeException e) {
      // The cause is dropped on purpose: parser messages can quote the file's content.
      throw new GeneralSecurityException(
          "unable to use keyset file '" + file + "': not a cleartext Tink JSON keyset");
    }
    String id =
        KEYSET_ID_PREFIX + Integer.toUnsignedString(handle.getKeysetInfo().getPrimaryKeyId());
    Aead aead;
    try {
      aead = handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(
          "unable to use keyset file '"
              + file
              + "': its primary key is "
              + primaryKeyType(handle.getKeysetInfo())
              + ", not an AEAD key such as AES256_GCM (generate one with the keyset command)");
    }
    return new KeyEncryptionKey(id, aead, false);
  }

  /**
   * Writes a new AES256-GCM keyset to {@code file}, readable and writable by its owner only (mode
   * 0600 where the file system has POSIX permissions), and opens it. Refuses to replace an existing
   * file: losing a key-encryption key loses every backup it wrapped.
   *
   * @throws FileAlreadyExistsException if the file exists; it is left as it was
   * @throws IOException if the file cannot be written; no partial file is left behind
   */
  public static KeyEncryptionKey generateKeysetFile(Path file)
      throws IOException, GeneralSecurityException {
    TinkRegistration.register();
    KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    byte[] json =
        TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get())
            .getBytes(StandardCharsets.UTF_8);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    boolean posix = Files.getFileStore(parent).supportsFileAttributeView("posix");
    FileAttribute<?>[] attributes =
        posix
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
            }
            : new FileAttribute<?>[0];
    FileChannel channel;
    try {
      channel =
          FileChannel.open(
              file,
              EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              attributes);
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(
          file.toString(),
          null,
          "unable to create keyset file: it already exists, and replacing a key-encryption key"
              + " would lose every backup it wrapped");
    }
    try (channel) {
      ByteBuffer buffer = ByteBuffer.wrap(json);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
    return openKeysetFile(file);
  }

  /**
   * Adds a new AES256-GCM key to a keyset file and makes it the primary: new wrappings use it, and
   * every older key stays in the file so that what it wrapped still unwraps (until {@code rewrap}
   * moved it). The file is replaced atomically: the new keyset is written to a temporary file in
   * the same directory with the old file's permissions, forced to disk, renamed over the old one,
   * and the directory is forced; a crash leaves the old file or the new one, never a mix. Rotations
   * of the same file take turns on a lock file beside it ({@code .<name>.lock}, left in place).
   *
   * @throws IOException if the file is missing or unreadable, or the new file cannot be written
   *     (the old one is then unchanged)
   * @throws GeneralSecurityException if the file is not a cleartext Tink JSON AEAD keyset
   */
  public static KeysetRotation rotateKeysetFile(Path file)
      throws IOException, GeneralSecurityException {
    // two rotations at once would each rename their keyset over the other's and lose a key: they
    // take turns on a lock file beside it (the keyset itself is replaced, so it cannot be locked)
    Path target = file.toAbsolutePath();
    Path lockFile = target.resolveSibling("." + target.getFileName() + ".lock");
    // a file lock is held for the whole JVM, so threads of one process queue here first
    synchronized (ROTATION) {
      try (FileChannel channel =
              FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = channel.lock()) {
        return rotateLocked(file);
      }
    }
  }

  private static KeysetRotation rotateLocked(Path file)
      throws IOException, GeneralSecurityException {
    KeyEncryptionKey before = openKeysetFile(file);
    KeysetHandle handle;
    try {
      handle =
          TinkJsonProtoKeysetFormat.parseKeyset(
              new String(readSmallFile(file), StandardCharsets.UTF_8),
              InsecureSecretKeyAccess.get());
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(
          "unable to use keyset file '" + file + "': not a cleartext Tink JSON keyset");
    }
    KeysetHandle rotated =
        KeysetHandle.newBuilder(handle)
            .addEntry(
                KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                    .withRandomId()
                    .makePrimary())
            .build();
    byte[] json =
        TinkJsonProtoKeysetFormat.serializeKeyset(rotated, InsecureSecretKeyAccess.get())
            .getBytes(StandardCharsets.UTF_8);
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    PosixFileAttributeView posix = Files.getFileAttributeView(target, PosixFileAttributeView.class);
    Set<PosixFilePermission> mode = posix == null ? null : posix.readAttributes().permissions();
    Path temp =
        mode == null
            ? Files.createTempFile(dir, "." + target.getFileName() + ".", ".rotating")
            : Files.createTempFile(
                dir,
                "." + target.getFileName() + ".",
                ".rotating",
                PosixFilePermissions.asFileAttribute(mode));
    try {
      if (mode != null) {
        // the umask may have taken bits away from the requested mode
        Files.setPosixFilePermissions(temp, mode);
      }
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(json);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw new IOException(
          "unable to rotate keyset file '" + file + "': " + e.getMessage() + "; it is unchanged",
          e);
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < rotated.size(); i++) {
      ids.add(KEYSET_ID_PREFIX + Integer.toUnsignedString(rotated.getAt(i).getId()));
    }
    return new KeysetRotation(before.id(), openKeysetFile(file), ids);
  }

  private static byte[] readSmallFile(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IOException("unable to read keyset file '" + file + "': it is a directory");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_KEYSET_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new IOException("unable to open missing keyset file '" + file + "' for read", e);
    } catch (AccessDeniedException e) {
      throw new IOException("unable to read keyset file '" + file + "': permission denied", e);
    } catch (FileSystemException e) {
      String reason = e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
      throw new IOException("unable to read keyset file '" + file + "': " + reason, e);
    } catch (IOException e) {
      throw new IOException("unable to read keyset file '" + file + "': " + e.getMessage(), e);
    }
    if (bytes.length > MAX_KEYSET_FILE_BYTES) {
      throw new IOException(
          "unable to read keyset file '"
              + file
              + "': larger than "
              + MAX_KEYSET_FILE_BYTES
              + " bytes, so not a keyset");
    }
    return bytes;
  }

  private static String primaryKeyType(KeysetInfo info) {
    for (KeysetInfo.KeyInfo key : info.getKeyInfoList()) {
      if (key.getKeyId() == info.getPrimaryKeyId()) {
        String url = key.getTypeUrl();
        return "a " + url.substring(url.lastIndexOf('.') + 1);
      }
    }
    return "missing";
  }
}
