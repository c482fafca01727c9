package io.aido.backup.core.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named kill points: a test hook that makes the job's JVM kill itself with SIGKILL at an exact,
 * named point of a run, so that the reliability suite can check what such a crash leaves behind
 * ({@code reliability-tests} {@code KillMatrixIT}). Times alone rarely hit the narrow instants that
 * matter (between two parts, half-way through the record write).
 *
 * <p>Off unless the system property {@value #PROPERTY} is set when the JVM starts, to {@code
 * <point>} or {@code <point>:<n>} (the n-th time the point is reached, 1 by default). When it is
 * off, {@link #reach} costs one comparison with a constant null; {@link #during} returns its stream
 * unchanged. Never set it in production: the job dies as if the node had failed, on purpose.
 *
 * <p>The points, in the order a run reaches them:
 *
 * <ul>
 *   <li>{@code before-first-part}, {@code between-parts}: a backup writer starting its first part,
 *       or a later one ({@code backup}, {@code base-backup}, {@code snapshot}, {@code export})
 *   <li>{@code record-write}: half-way through the bytes of a backup record being stored (the
 *       commit of a backup, and {@code replicate} writing its copy's record)
 *   <li>{@code after-record}: the record stored, the run not yet ended
 *   <li>{@code before-wal-object}: {@code wal-archive} about to store a WAL object
 *   <li>{@code replicate-part}: {@code replicate} about to copy a part
 *   <li>{@code rewrap-before-replace}, {@code rewrap-after-replace}: around each replacement
 *   <li>{@code retention-after-record}: retention has removed a backup's record, not yet its data
 *   <li>{@code read-leased}, {@code verify-leased}: a restore (or extract), or a verification,
 *       holds its lease on a backup and has not read it yet
 * </ul>
 *
 * <p>How it kills: prints {@code kill point <point> reached} to stderr, then sends SIGKILL to its
 * own process ({@code kill -KILL <pid>}: no shutdown hook, no finally block, no flush runs); if
 * that cannot be sent, {@link Runtime#halt} with 137, which skips the same.
 */
public final class KillPoints {
  /** The system property that arms one point. */
  public static final String PROPERTY = "aido.backup.killAt";

  private static final String POINT;
  private static final int NTH;
  private static final AtomicInteger SEEN = new AtomicInteger();

  static {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      POINT = null;
      NTH = 0;
    } else {
      int colon = value.indexOf(':');
      POINT = (colon < 0 ? value : value.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
      NTH = colon < 0 ? 1 : Integer.parseInt(value.substring(colon + 1).trim());
    }
  }

  private KillPoints() {}

  /** Kills this JVM if {@code point} is the armed one and this is its n-th arrival. */
  public static void reach(String point) {
    if (POINT != null && POINT.equals(point) && SEEN.incrementAndGet() == NTH) {
      killSelf(point);
    }
  }

  /**
   * {@code in}, reaching {@code point} once half of {@code size} bytes have been read from it; when
   * no point is armed, {@code in} itself.
   */
  public static InputStream during(String point, InputStream in, long size) {
    if (POINT == null || !POINT.equals(point)) {
      return in;
    }
    long half = Math.max(1, size / 2);
    return new FilterInputStream(in) {
      private long read;
      private boolean reached;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (read >= half && !reached) {
          reached = true;
          reach(point);
        }
        int n = super.read(b, off, (int) Math.max(1, Math.min(len, half - read)));
        if (n > 0) {
          read += n;
        }
        return n;
      }
    };
  }

  private static void killSelf(String point) {
    System.err.println("kill point " + point + " reached");
    System.err.flush();
    try {
      new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid()))
          .inheritIO()
          .start()
          .waitFor(10, TimeUnit.SECONDS);
      Thread.sleep(10_000);
    } catch (IOException | InterruptedException e) {
      // no kill(1): halting skips shutdown hooks and finally blocks just the same
    }
    Runtime.getRuntime().halt(137);
  }
}
