package io.aido.backup.retention;

import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.internal.KillPoints;
import io.aido.backup.core.storage.BlobReader;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectExistsException;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ServerSideCopy;
import io.aido.backup.core.storage.StorageMessages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one object at a time from the primary repository into the secondary, as stored, and proves
 * the copy: the secondary's bytes are read back and their size and SHA-256 compared with what the
 * record says (or, without a recorded hash, with the primary's bytes as they were read). A copy
 * that does not match is deleted and the failure thrown; an object an earlier run left is accepted
 * when it matches and replaced when it does not. Counts the objects and bytes it created. Copies
 * inside the store ({@link ServerSideCopy}) when the secondary can.
 */
final class CheckedCopy {
  private static final Logger LOG = LoggerFactory.getLogger(CheckedCopy.class);
  private static final int BUFFER = 1 << 20;

  private final BlobReader primary;
  private final BlobStore secondary;
  private final boolean serverSide;
  private long objects;
  private long bytes;

  CheckedCopy(BlobReader primary, BlobStore secondary) {
    this.primary = primary;
    this.secondary = secondary;
    this.serverSide = secondary instanceof ServerSideCopy c && c.canCopyFrom(primary);
  }

  /** Whether objects are copied inside the store. */
  boolean serverSide() {
    return serverSide;
  }

  /** Objects created in the secondary. */
  long objects() {
    return objects;
  }

  /** Bytes of those objects. */
  long bytes() {
    return bytes;
  }

  /** Counts an object of {@code size} bytes created in the secondary by other means. */
  void counted(long size) {
    objects++;
    bytes += size;
  }

  /** The record, byte for byte, created last; a record already there (a racing run) is accepted. */
  void copyRecord(ObjectKey key, byte[] content) throws IOException {
    try {
      secondary.create(
          key,
          KillPoints.during("record-write", new ByteArrayInputStream(content), content.length));
      objects++;
      bytes += content.length;
    } catch (ObjectExistsException e) {
      // another run wrote it since the listing: accepted when it is the same record
    }
    byte[] back;
    try (InputStream in = secondary.open(key)) {
      back = in.readNBytes(RecordJson.MAX_BYTES + 1);
    }
    if (!Arrays.equals(back, content)) {
      throw new IOException(
          StorageMessages.failed(
              "check", key, secondary.describe(), "it reads back different from the primary's"));
    }
  }

  /**
   * Copies {@code key} (or accepts the copy an earlier run left) and proves the secondary's bytes.
   *
   * @param size the expected stored size
   * @param sha256 the expected stored bytes' SHA-256, or null when the record predates it (then the
   *     primary's bytes, hashed as they are read, are the reference)
   * @return bytes created in the secondary by this call (0 when the object was already there)
   */
  long copy(ObjectKey key, long size, String sha256) throws IOException {
    Optional<ObjectInfo> existing = secondary.stat(key);
    if (existing.isPresent()) {
      String reference = sha256 != null ? sha256 : hashOf(primary, key).sha256();
      Hashed there = hashOf(secondary, key);
      if (there.size() == size && there.sha256().equals(reference)) {
        return 0;
      }
      LOG.warn(
          "object '{}' in {} does not match the primary's ({} bytes, SHA-256 {}); replacing it",
          key,
          secondary.describe(),
          there.size(),
          there.sha256());
      secondary.delete(key);
    }
    String copied;
    ObjectInfo info;
    try {
      if (serverSide) {
        info = ((ServerSideCopy) secondary).copyFrom(primary, key);
        copied = sha256 != null ? sha256 : hashOf(primary, key).sha256();
      } else {
        MessageDigest digest = sha256();
        try (InputStream in = primary.open(key)) {
          info = secondary.create(key, new DigestInputStream(in, digest));
        }
        copied = HexFormat.of().formatHex(digest.digest());
      }
    } catch (ObjectExistsException e) {
      throw new IOException(
          e.getMessage() + " (another replicate run is writing the same repository)", e);
    }
    objects++;
    bytes += info.size();
    String problem = null;
    if (sha256 != null && !copied.equals(sha256)) {
      problem =
          "the primary's bytes have SHA-256 "
              + copied
              + " but the record says "
              + sha256
              + " (the primary's object is damaged)";
    } else {
      Hashed back = hashOf(secondary, key);
      if (back.size() != size) {
        problem = "it reads back with " + back.size() + " bytes, the record says " + size;
      } else if (!back.sha256().equals(copied)) {
        problem = "it reads back with SHA-256 " + back.sha256() + ", expected " + copied;
      }
    }
    if (problem != null) {
      try {
        secondary.delete(key);
      } catch (IOException e) {
        problem += "; deleting the bad copy failed too: " + StorageMessages.cause(e);
      }
      throw new IOException(StorageMessages.failed("copy", key, secondary.describe(), problem));
    }
    return info.size();
  }

  private record Hashed(long size, String sha256) {}

  private static Hashed hashOf(BlobReader store, ObjectKey key) throws IOException {
    MessageDigest digest = sha256();
    long size = 0;
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = store.open(key)) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        digest.update(buffer, 0, n);
        size += n;
      }
    }
    return new Hashed(size, HexFormat.of().formatHex(digest.digest()));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
