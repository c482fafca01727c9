package io.aido.backup.core.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A wrapper that makes a real store fail on demand: errors, latency, failure after a number of
 * calls, and uploads or downloads that break, stop short or change after a number of bytes. For
 * tests, benchmarks and drills of the code above {@link BlobStore}, since no real store fails when
 * asked to.
 *
 * <p>Guarantees: with no fault added (or after {@link #clear}) every call goes to the wrapped store
 * unchanged. Faults apply in the order they were added and may be added or cleared while the store
 * is in use (from any thread). A broken upload reaches the wrapped store as a content stream that
 * throws, so the wrapped store's all-or-nothing rule decides what stays; a short upload ends the
 * content early, so the wrapped store keeps a shorter object, as a store that lost the tail would.
 *
 * <p>Restrictions: the wrapper has none of the optional abilities ({@link AtomicReplace}, {@link
 * ServerSideCopy}, {@link ObjectLocks}, {@link AbandonedUploads}) even when the wrapped store has
 * them; a subclass may add one ({@link ReplacingFaultInjectingBlobStore} adds {@link
 * AtomicReplace}). Byte-count faults count per stream, from the first byte the stream returns.
 *
 * <pre>{@code
 * FaultInjectingBlobStore store = new FaultInjectingBlobStore(new MemoryBlobStore());
 * store.failUploadsAfter(FaultInjectingBlobStore.under("data/"), 1 << 20, "connection reset");
 * store.fail(Operation.DELETE, FaultInjectingBlobStore.under("catalog/"), "permission denied");
 * store.delay(Operation.OPEN, Duration.ofMillis(50));
 * }</pre>
 *
 * <p>An operation whose fault throws does not reach the wrapped store. The exceptions are those the
 * fault throws: {@link IOException} with the given message for the ready-made faults, anything for
 * the hooks of {@link #before}.
 */
public class FaultInjectingBlobStore implements BlobStore {

  /** The operations of {@link BlobStore} a fault can be attached to. */
  public enum Operation {
    CREATE,
    OPEN,
    STAT,
    LIST,
    DELETE
  }

  /** Runs before an operation on an object; throws to make it fail. */
  @FunctionalInterface
  public interface Fault {
    /**
     * Called with the object the operation is about to touch.
     *
     * @throws IOException to make the operation fail
     */
    void before(ObjectKey key) throws IOException;
  }

  /** What every fault becomes: gets the key (null for a listing) and the name or prefix. */
  @FunctionalInterface
  private interface Check {
    void run(ObjectKey key, String name) throws IOException;
  }

  private record Hook(Operation operation, Check check) {}

  /** Changes a content stream (an upload's content or a download) of the objects it selects. */
  private record Filter(Predicate<String> which, UnaryOperator<InputStream> fault) {}

  private final BlobStore inner;
  private final List<Hook> hooks = new CopyOnWriteArrayList<>();
  private final List<Filter> uploads = new CopyOnWriteArrayList<>();
  private final List<Filter> downloads = new CopyOnWriteArrayList<>();

  public FaultInjectingBlobStore(BlobStore inner) {
    this.inner = Objects.requireNonNull(inner, "inner");
  }

  /** Objects whose name starts with {@code prefix}. */
  public static Predicate<String> under(String prefix) {
    return name -> name.startsWith(prefix);
  }

  /** Every object. */
  public static Predicate<String> every() {
    return name -> true;
  }

  /** The wrapped store. */
  public BlobStore inner() {
    return inner;
  }

  /**
   * Runs {@code fault} before every {@code operation} on an object, for faults the ready-made ones
   * do not cover (a race with another writer, a refusal of one object).
   *
   * @throws IllegalArgumentException for {@link Operation#LIST}, which names a prefix, not an
   *     object
   */
  public FaultInjectingBlobStore before(Operation operation, Fault fault) {
    Objects.requireNonNull(fault, "fault");
    if (operation == Operation.LIST) {
      throw new IllegalArgumentException(
          "a listing has no object; use fail, delay or failAfterCalls");
    }
    return check(operation, (key, name) -> fault.before(key));
  }

  private FaultInjectingBlobStore check(Operation operation, Check check) {
    hooks.add(new Hook(Objects.requireNonNull(operation, "operation"), check));
    return this;
  }

  /** Makes {@code operation} on the objects {@code which} selects throw {@link IOException}. */
  public FaultInjectingBlobStore fail(
      Operation operation, Predicate<String> which, String message) {
    return check(
        operation,
        (key, name) -> {
          if (which.test(name)) {
            throw new IOException(message);
          }
        });
  }

  /**
   * Lets the first {@code calls} calls of {@code operation} through, then fails every later one.
   */
  public FaultInjectingBlobStore failAfterCalls(Operation operation, int calls, String message) {
    AtomicInteger seen = new AtomicInteger();
    return check(
        operation,
        (key, name) -> {
          if (seen.incrementAndGet() > calls) {
            throw new IOException(message);
          }
        });
  }

  /** Makes every {@code operation} wait {@code latency} first, as a distant store would. */
  public FaultInjectingBlobStore delay(Operation operation, Duration latency) {
    return check(
        operation,
        (key, name) -> {
          try {
            Thread.sleep(latency.toMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while delaying " + operation);
          }
        });
  }

  /**
   * Makes uploads of the objects {@code which} selects throw {@link IOException} once {@code bytes}
   * bytes were read from their content, as a dropped connection would.
   */
  public FaultInjectingBlobStore failUploadsAfter(
      Predicate<String> which, long bytes, String message) {
    uploads.add(new Filter(which, in -> new Breaking(in, bytes, message)));
    return this;
  }

  /** {@link #failUploadsAfter(Predicate, long, String)}, saying how many bytes got through. */
  public FaultInjectingBlobStore failUploadsAfter(Predicate<String> which, long bytes) {
    return failUploadsAfter(which, bytes, "connection reset (injected after " + bytes + " bytes)");
  }

  /** Makes uploads of the objects {@code which} selects store their first {@code bytes} only. */
  public FaultInjectingBlobStore truncateUploads(Predicate<String> which, long bytes) {
    uploads.add(new Filter(which, in -> new Truncating(in, bytes)));
    return this;
  }

  /**
   * Makes uploads of the objects {@code which} selects store their first byte with a bit flipped.
   */
  public FaultInjectingBlobStore corruptUploads(Predicate<String> which) {
    uploads.add(new Filter(which, in -> new Flipping(in)));
    return this;
  }

  /**
   * Makes downloads of the objects {@code which} selects throw {@link IOException} once {@code
   * bytes} bytes were returned, as a connection dropped mid-read would.
   */
  public FaultInjectingBlobStore failReadsAfter(
      Predicate<String> which, long bytes, String message) {
    downloads.add(new Filter(which, in -> new Breaking(in, bytes, message)));
    return this;
  }

  /** Makes downloads of the objects {@code which} selects end after {@code bytes} bytes. */
  public FaultInjectingBlobStore truncateReads(Predicate<String> which, long bytes) {
    downloads.add(new Filter(which, in -> new Truncating(in, bytes)));
    return this;
  }

  /** Removes every fault: from now on every call goes to the wrapped store unchanged. */
  public FaultInjectingBlobStore clear() {
    hooks.clear();
    uploads.clear();
    downloads.clear();
    return this;
  }

  @Override
  public ObjectInfo create(ObjectKey key, InputStream content) throws IOException {
    runHooks(Operation.CREATE, key, key.name());
    return inner.create(key, uploadContent(key, content));
  }

  @Override
  public InputStream open(ObjectKey key, long offset, long length) throws IOException {
    runHooks(Operation.OPEN, key, key.name());
    return filter(downloads, key.name(), inner.open(key, offset, length));
  }

  @Override
  public Optional<ObjectInfo> stat(ObjectKey key) throws IOException {
    runHooks(Operation.STAT, key, key.name());
    return inner.stat(key);
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    runHooks(Operation.LIST, null, prefix);
    return inner.list(prefix);
  }

  @Override
  public void delete(ObjectKey key) throws IOException {
    runHooks(Operation.DELETE, key, key.name());
    inner.delete(key);
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  /** Runs the faults attached to {@code operation}; for subclasses that add an ability. */
  protected final void runHooks(Operation operation, ObjectKey key, String name)
      throws IOException {
    for (Hook hook : hooks) {
      if (hook.operation() == operation) {
        hook.check().run(key, name);
      }
    }
  }

  /** {@code content} of an upload of {@code key} with the upload faults applied. */
  protected final InputStream uploadContent(ObjectKey key, InputStream content) {
    return filter(uploads, key.name(), content);
  }

  private static InputStream filter(List<Filter> filters, String name, InputStream in) {
    InputStream result = in;
    for (Filter f : filters) {
      if (f.which().test(name)) {
        result = f.fault().apply(result);
      }
    }
    return result;
  }

  /** Throws once {@code limit} bytes went through. */
  private static final class Breaking extends FilterInputStream {
    private final long limit;
    private final String message;
    private long count;

    Breaking(InputStream in, long limit, String message) {
      super(in);
      this.limit = limit;
      this.message = message;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (count >= limit) {
        throw new IOException(message);
      }
      int n = in.read(b, off, (int) Math.min(len, limit - count));
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  /** Ends after {@code limit} bytes. */
  private static final class Truncating extends FilterInputStream {
    private long left;

    Truncating(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return len == 0 ? 0 : -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  /** Flips the lowest bit of the first byte. */
  private static final class Flipping extends FilterInputStream {
    private boolean flipped;

    Flipping(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0 && !flipped) {
        flipped = true;
        return b ^ 1;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0 && !flipped) {
        b[off] ^= 1;
        flipped = true;
      }
      return n;
    }
  }
}
