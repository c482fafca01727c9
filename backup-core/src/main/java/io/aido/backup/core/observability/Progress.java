package io.aido.backup.core.observability;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the bytes read through a stream and logs the total and the rate every few seconds, so a
 * long dump or restore shows it is alive. The final total is logged when the stream ends.
 *
 * <p>Restrictions: not thread-safe, like the stream it wraps; {@code what} is logged as given, so
 * it must hold no secret.
 *
 * <pre>{@code
 * InputStream counted = new Progress(process.getInputStream(), "pg_dump todo");
 * }</pre>
 */
public final class Progress extends FilterInputStream {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
  static final long DEFAULT_INTERVAL_NANOS = 5_000_000_000L;

  private final String what;
  private final LongSupplier nanoTime;
  private final long intervalNanos;
  private final long startNanos;
  private long bytes;
  private long lastLogNanos;
  private boolean finished;

  public Progress(InputStream in, String what, LongSupplier nanoTime, long intervalNanos) {
    super(in);
    this.what = what;
    this.nanoTime = nanoTime;
    this.intervalNanos = intervalNanos;
    this.startNanos = nanoTime.getAsLong();
    this.lastLogNanos = startNanos;
  }

  public Progress(InputStream in, String what) {
    this(in, what, System::nanoTime, DEFAULT_INTERVAL_NANOS);
  }

  /** Bytes read so far. */
  public long bytes() {
    return bytes;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    count(b < 0 ? -1 : 1);
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    count(n);
    return n;
  }

  private void count(int n) {
    long now = nanoTime.getAsLong();
    if (n < 0) {
      if (!finished) {
        finished = true;
        LOG.info("{}: end of stream, {}", what, describe(now));
      }
      return;
    }
    bytes += n;
    if (now - lastLogNanos >= intervalNanos) {
      lastLogNanos = now;
      LOG.info("{}: {}", what, describe(now));
    }
  }

  /** The total so far and the mean rate since the start, as of {@code now} (nanoseconds). */
  public String describe(long now) {
    double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
    return String.format(
        Locale.ROOT,
        "%s in %.1f s (%s/s)",
        ByteSizes.human(bytes),
        seconds,
        ByteSizes.human((long) (bytes / seconds)));
  }
}
