package io.aido.backup.core.repository.internal;

import io.aido.backup.core.catalog.BackupId;
import io.aido.backup.core.catalog.BackupKind;
import io.aido.backup.core.catalog.BackupRecord;
import io.aido.backup.core.catalog.Layout;
import io.aido.backup.core.catalog.RecordJson;
import io.aido.backup.core.catalog.SealMarker;
import io.aido.backup.core.crypto.DataKey;
import io.aido.backup.core.crypto.KeyEncryptionKey;
import io.aido.backup.core.crypto.KeyUnavailableException;
import io.aido.backup.core.crypto.WrappedDataKey;
import io.aido.backup.core.crypto.WrongKeyException;
import io.aido.backup.core.repository.TamperedRecordException;
import io.aido.backup.core.storage.AtomicReplace;
import io.aido.backup.core.storage.BlobStore;
import io.aido.backup.core.storage.ObjectInfo;
import io.aido.backup.core.storage.ObjectKey;
import io.aido.backup.core.storage.ObjectNotFoundException;
import io.aido.backup.core.storage.StorageMessages;
import io.aido.backup.core.wal.WalHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Moves every stored data key that is not wrapped by the current key-encryption key to it, without
 * touching backup data: the key rotation behind the {@code rewrap} command.
 *
 * <p>What is rewritten: a backup's wrapped data key lives in its record ({@code
 * catalog/<kind>/<id>.json}), so the record is replaced, with only its {@code encryption} changed
 * and, for a sealed record, its seal made anew (after the old one was checked: a record edited
 * behind the tool's back is reported and left as it was, never sealed afresh); a WAL object's lives
 * in its plaintext header, so the object is replaced by the new header followed by the old
 * encrypted body, copied verbatim (never decrypted: the body's associated data is the object name,
 * which does not change). Data parts are never read. Every new wrapping is bound to where it is
 * stored ({@link Layout#keyBinding}, {@link Layout#walKeyBinding}), and is unwrapped again with the
 * new key before it replaces anything.
 *
 * <p>Guarantees: replacement goes through the store's {@link AtomicReplace} (rename on a
 * filesystem, a generation precondition on GCS), so a run killed at any instant leaves each object
 * either as it was (readable with the old key) or rewrapped (readable with the new one), and every
 * backup stays listed. A run is idempotent: what is already current is skipped, so the next run
 * finishes what a killed one left. An object deleted or changed meanwhile (retention) is reported
 * and left alone.
 *
 * <p>Restrictions: the store must have {@link AtomicReplace}; a retention-locked bucket refuses
 * replacements, reported per object. Record files that cannot be read are reported, not changed.
 *
 * <pre>{@code
 * KeyRewrap.Report report = new KeyRewrap(store, newKek, List.of(oldKek), KeyRewrap.Listener.NONE)
 *     .run(false);
 * }</pre>
 */
public final class KeyRewrap {
  /** What happened to one object. */
  public enum Status {
    /** Already wrapped by the current key; untouched. */
    CURRENT,
    /** Dry run: would be rewrapped. */
    WOULD_REWRAP,
    /** Rewrapped and replaced. */
    REWRAPPED,
    /** Not an object with a wrapped key (a stray file under {@code wal/}); untouched. */
    SKIPPED,
    /** Could not be rewrapped (no configured key opens it, unreadable, replace refused). */
    FAILED
  }

  /**
   * One object's outcome.
   *
   * @param object the record or WAL object
   * @param kind the backup's kind, or null for a WAL object
   * @param backupId the backup's id, or null for a WAL object
   * @param from the key that wrapped it, as recorded (null if unreadable)
   * @param status what happened
   * @param problem why it failed or was skipped, else null
   */
  public record Item(
      ObjectKey object,
      BackupKind kind,
      BackupId backupId,
      String from,
      Status status,
      String problem) {}

  /**
   * What a run did.
   *
   * @param items one per record and WAL object, records first
   * @param bytesRead bytes read from the store: records and WAL headers, plus WAL bodies copied
   * @param walBodyBytesCopied the part of {@code bytesRead} that was WAL bodies copied verbatim
   */
  public record Report(List<Item> items, long bytesRead, long walBodyBytesCopied) {
    public Report {
      items = List.copyOf(items);
    }

    public long count(Status status) {
      return items.stream().filter(i -> i.status() == status).count();
    }
  }

  /** Steps a run announces, for tests that kill it at an exact point. */
  public enum Step {
    /** The new wrapping is made and checked; the object is about to be replaced. */
    BEFORE_REPLACE,
    /** The object was replaced. */
    AFTER_REPLACE
  }

  /** Told of each step; the command uses it for audit events and a test pause hook. */
  public interface Listener {
    Listener NONE = (step, item) -> {};

    /**
     * @throws IOException to stop the run (a failed audit record)
     */
    void on(Step step, Item item) throws IOException;
  }

  private static final int HEADER_READ = 64 * 1024 + 12;

  private final BlobStore store;
  private final KeyEncryptionKey to;
  private final List<KeyEncryptionKey> from;
  private final Listener listener;
  private long bytesRead;
  private long walBodyBytes;
  private Optional<SealMarker> sealMarker;

  /**
   * @param store the repository's store
   * @param to the key to wrap with (the current one)
   * @param from keys tried, in order, to unwrap what {@code to} does not open; {@code to} is tried
   *     last (a keyset file that kept its old keys opens what they wrapped)
   * @param listener told of each step
   */
  public KeyRewrap(
      BlobStore store, KeyEncryptionKey to, List<KeyEncryptionKey> from, Listener listener) {
    this.store = Objects.requireNonNull(store, "store");
    this.to = Objects.requireNonNull(to, "to");
    this.from = List.copyOf(from);
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Rewraps (or, with {@code dryRun}, lists) every backup record and WAL object not wrapped by the
   * current key.
   *
   * @throws KeyUnavailableException if a Cloud KMS key cannot be reached or refuses: nothing more
   *     can be done, and what was done stays done
   * @throws IOException if listing the store fails, or it cannot replace objects
   * @throws GeneralSecurityException if the current key cannot wrap
   */
  public Report run(boolean dryRun) throws IOException, GeneralSecurityException {
    Optional<AtomicReplace> replace = AtomicReplace.of(store);
    if (replace.isEmpty() && !dryRun) {
      throw new IOException(
          "unable to rewrap in "
              + store.describe()
              + ": this store cannot replace an object in one step");
    }
    sealMarker = RecordSeals.marker(store);
    List<Item> items = new ArrayList<>();
    for (ObjectInfo info : store.list(Layout.recordPrefix(null))) {
      Optional<Layout.RecordName> name = Layout.RecordName.parse(info.key());
      if (name.isPresent()) {
        items.add(record(info, name.get(), dryRun, replace.orElse(null)));
      }
    }
    for (ObjectInfo info : store.list(Layout.WAL)) {
      items.add(wal(info, dryRun, replace.orElse(null)));
    }
    return new Report(items, bytesRead, walBodyBytes);
  }

  private Item record(
      ObjectInfo info, Layout.RecordName name, boolean dryRun, AtomicReplace replace)
      throws IOException, GeneralSecurityException {
    ObjectKey key = info.key();
    byte[] bytes;
    BackupRecord record;
    try (InputStream in = store.open(key)) {
      bytes = in.readNBytes(RecordJson.MAX_BYTES + 1);
      bytesRead += bytes.length;
      record = RecordJson.read(new ByteArrayInputStream(bytes), key.name());
    } catch (ObjectNotFoundException e) {
      return new Item(key, name.kind(), name.id(), null, Status.SKIPPED, "deleted meanwhile");
    } catch (IOException e) {
      return new Item(key, name.kind(), name.id(), null, Status.FAILED, e.getMessage());
    }
    if (!record.id().equals(name.id()) || record.kind() != name.kind()) {
      return new Item(
          key,
          name.kind(),
          name.id(),
          null,
          Status.FAILED,
          "record describes " + record.kind() + " backup " + record.id() + ", not its name's");
    }
    WrappedDataKey wrapped = record.encryption();
    String binding = Layout.keyBinding(record.kind(), record.id());
    Item item = new Item(key, record.kind(), record.id(), wrapped.describeKek(), null, null);
    if (to.isCurrent(wrapped) && binding.equals(wrapped.boundTo())) {
      return with(item, Status.CURRENT, null);
    }
    if (dryRun) {
      return with(item, Status.WOULD_REWRAP, null);
    }
    BackupRecord updated;
    try {
      DataKey dataKey = open(wrapped, binding);
      updated =
          RecordSeals.rewrapped(bytes, record, dataKey, wrapAgain(dataKey, binding), sealMarker);
    } catch (WrongKeyException | WrappedKeyNotOpened e) {
      return with(item, Status.FAILED, e.getMessage());
    } catch (TamperedRecordException e) {
      return with(item, Status.FAILED, e.getMessage() + "; left as it was");
    }
    byte[] content = RecordJson.write(updated);
    InputStream in = new ByteArrayInputStream(content);
    return replace(replace, info, item, in, content.length, bytes, updated.encryption());
  }

  private Item wal(ObjectInfo info, boolean dryRun, AtomicReplace replace)
      throws IOException, GeneralSecurityException {
    ObjectKey key = info.key();
    WalHeader.Framed framed;
    try (InputStream in = store.open(key, 0, HEADER_READ)) {
      framed = WalHeader.readFramed(in, store.describe() + "/" + key);
      bytesRead += framed.length();
    } catch (ObjectNotFoundException e) {
      return new Item(key, null, null, null, Status.SKIPPED, "deleted meanwhile");
    } catch (IOException e) {
      return new Item(key, null, null, null, Status.SKIPPED, e.getMessage());
    }
    WalHeader header = framed.header();
    WrappedDataKey wrapped = header.key();
    String binding = Layout.walKeyBinding(key);
    Item item = new Item(key, null, null, wrapped.describeKek(), null, null);
    if (to.isCurrent(wrapped) && binding.equals(wrapped.boundTo())) {
      return with(item, Status.CURRENT, null);
    }
    if (dryRun) {
      return with(item, Status.WOULD_REWRAP, null);
    }
    WrappedDataKey moved;
    try {
      // a WAL header written before binding carries the archiving run's unbound key
      moved = wrapAgain(open(wrapped, binding), binding);
    } catch (WrongKeyException | WrappedKeyNotOpened e) {
      return with(item, Status.FAILED, e.getMessage());
    }
    WalHeader updated =
        new WalHeader(
            header.format(),
            header.segment(),
            header.segmentSize(),
            header.validBytes(),
            header.plaintextSha256(),
            header.systemIdentifier(),
            header.archivedAt(),
            moved);
    long bodyLength = info.size() - framed.length();
    InputStream body =
        new ExactLengthStream(
            store.open(key, framed.length(), bodyLength),
            bodyLength,
            "the read of the body of '" + key + "'",
            n -> {
              bytesRead += n;
              walBodyBytes += n;
            });
    byte[] newHeader = updated.encode();
    try (InputStream content = new SequenceInputStream(new ByteArrayInputStream(newHeader), body)) {
      return replace(replace, info, item, content, newHeader.length + bodyLength, null, moved);
    }
  }

  /** Wraps with {@link #to} and checks that it unwraps again. */
  private WrappedDataKey wrapAgain(DataKey key, String binding) throws GeneralSecurityException {
    WrappedDataKey moved = key.wrap(to, binding);
    DataKey.unwrap(moved, to, binding);
    return moved;
  }

  /** Unwraps with the first key that opens it. */
  private DataKey open(WrappedDataKey wrapped, String binding) throws GeneralSecurityException {
    List<KeyEncryptionKey> candidates = new ArrayList<>(from);
    candidates.add(to);
    DataKey key = null;
    List<String> tried = new ArrayList<>();
    for (KeyEncryptionKey kek : candidates) {
      try {
        key = DataKey.unwrap(wrapped, kek, binding(wrapped, binding));
        break;
      } catch (WrongKeyException e) {
        if (e.misplaced()) {
          throw e;
        }
        tried.add(kek.id());
      }
    }
    if (key == null) {
      throw new WrappedKeyNotOpened(
          "wrapped by key-encryption key '"
              + wrapped.describeKek()
              + "', which no key given opens (tried '"
              + String.join("', '", tried)
              + "'); left as it was");
    }
    return key;
  }

  /** The binding to check an existing wrapping against: where it was found. */
  private static String binding(WrappedDataKey wrapped, String where) {
    return wrapped.boundTo() == null ? null : where;
  }

  /**
   * Replaces {@code before} with {@code content} of {@code length} bytes. A store that kept fewer
   * bytes and reported success has damaged the object: {@code original} (the whole old object, or
   * null when it was not read whole) is put back, and the object reported as failed.
   */
  private Item replace(
      AtomicReplace replace,
      ObjectInfo before,
      Item item,
      InputStream content,
      long length,
      byte[] original,
      WrappedDataKey moved)
      throws IOException {
    listener.on(Step.BEFORE_REPLACE, item);
    ObjectInfo stored;
    try {
      stored = replace.replace(before.key(), before, content);
    } catch (IOException e) {
      if (e instanceof ObjectNotFoundException) {
        return with(item, Status.SKIPPED, "deleted meanwhile");
      }
      // a store that fails to read the WAL body or refuses the write: this object stays as it was
      return with(item, Status.FAILED, describe(e, before.key()));
    }
    if (stored.size() != length) {
      return with(item, Status.FAILED, putBack(replace, stored, length, original));
    }
    Item done = with(item, Status.REWRAPPED, null);
    listener.on(Step.AFTER_REPLACE, done);
    return done;
  }

  /** Puts {@code original} back over a replacement the store kept short; says what holds. */
  private String putBack(AtomicReplace replace, ObjectInfo stored, long length, byte[] original) {
    String kept =
        StorageMessages.failed(
            "replace",
            stored.key(),
            store.describe(),
            "the store kept " + stored.size() + " of " + length + " bytes (a short write)");
    if (original == null) {
      return kept + "; the object is damaged";
    }
    try {
      ObjectInfo back = replace.replace(stored.key(), stored, new ByteArrayInputStream(original));
      if (back.size() == original.length) {
        return kept + "; the original was put back";
      }
      return kept + "; putting the original back was kept short too: the object is damaged";
    } catch (IOException e) {
      return kept + "; putting the original back failed (" + e.getMessage() + "): damaged";
    }
  }

  private String describe(IOException e, ObjectKey key) {
    String message = e.getMessage();
    return message != null && message.contains("'" + key + "'")
        ? message
        : StorageMessages.failed("replace", key, store.describe(), StorageMessages.cause(e));
  }

  private static Item with(Item item, Status status, String problem) {
    return new Item(item.object(), item.kind(), item.backupId(), item.from(), status, problem);
  }
}
